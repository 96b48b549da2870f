import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, EmptyState, Text, useStyles2 } from '@grafana/ui';
import { QueryStatus } from '../../components/QueryStatus/QueryStatus';
import { listAnomalies, listTargets } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendStatus } from '../../components/BackendStatus/BackendStatus';
import { usePluginSettings } from '../../pluginSettings';
import { testIds } from '../../testIds';
import { AnomalyList } from './AnomalyList';
import { narrowed, TargetsTable, targetsQuery, useTargetsView } from './TargetsTable';

export const OVERVIEW_REFRESH_MS = 15_000;
const DAY_MS = 86_400_000;
/** Anomalies of the last 24 hours listed at most, newest first. */
export const OVERVIEW_ANOMALIES = 200;

const recentAnomalies = () => listAnomalies({ from: Date.now() - DAY_MS, limit: OVERVIEW_ANOMALIES });

export function Overview() {
  const settings = usePluginSettings();
  const configured = Boolean(settings.backendUrl);
  return (
    <PluginPage>
      <div data-testid={testIds.overview.container}>
        <BackendStatus configured={configured} />
        {configured && <Watched />}
      </div>
    </PluginPage>
  );
}

function Watched() {
  const styles = useStyles2(getStyles);
  const [view, setView] = useTargetsView();
  const query = targetsQuery(view);
  const targets = useBackendQuery(() => listTargets(query), JSON.stringify(query), { refreshMs: OVERVIEW_REFRESH_MS });
  const anomalies = useBackendQuery(recentAnomalies, 'anomalies', { refreshMs: OVERVIEW_REFRESH_MS });

  return (
    <>
      <section aria-labelledby="fp-targets-title" className={styles.section}>
        <Text element="h2" id="fp-targets-title">
          Targets
        </Text>
        <QueryStatus query={targets} what="the targets" />
        {targets.data &&
          // A filtered view or a later page that is empty still shows its filters and pager.
          (targets.data.targets.length > 0 || narrowed(view) || view.cursor !== undefined ? (
            <TargetsTable {...targets.data} view={view} onView={setView} />
          ) : anomalies.data && anomalies.data.anomalies.length > 0 ? (
            // Not an empty state: the anomalies below are data, recorded when their targets were scored.
            <Text color="secondary" element="p" data-testid={testIds.overview.noTargetsScored}>
              No target is scored right now: the watches matched no series in their last cycle. The anomalies below were
              recorded when their targets were last scored.
            </Text>
          ) : (
            <div data-testid={testIds.overview.noTargets}>
              <EmptyState variant="call-to-action" message="No targets yet">
                The backend has not found any series for its watches yet. Check that its Prometheus answers (above) and
                that the queries of its watches return data.
              </EmptyState>
            </div>
          ))}
      </section>
      <section aria-labelledby="fp-anomalies-title" className={styles.section}>
        <Text element="h2" id="fp-anomalies-title">
          Anomalies in the last 24 hours
        </Text>
        {anomalies.error && (
          <Alert severity="error" title="Cannot load the anomalies">
            {anomalies.error.message}
          </Alert>
        )}
        {anomalies.data && anomalies.data.anomalies.length === 0 && <Text color="secondary">None.</Text>}
        {anomalies.data?.next && (
          <Text color="secondary" element="p">
            The latest {anomalies.data.anomalies.length} are listed: the backend has more in the last 24 hours.
          </Text>
        )}
        {anomalies.data && anomalies.data.anomalies.length > 0 && <AnomalyList anomalies={anomalies.data.anomalies} />}
      </section>
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ marginTop: theme.spacing(3) }),
});
