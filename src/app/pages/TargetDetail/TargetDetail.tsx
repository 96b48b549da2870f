import React from 'react';
import { useParams } from 'react-router-dom';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, LinkButton, Stack, Text, useStyles2 } from '@grafana/ui';
import { getTarget, listWatches } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { Unloaded } from '../../components/QueryStatus/QueryStatus';
import { usePluginSettings } from '../../pluginSettings';
import { PLUGIN_BASE_URL, ROUTES } from '../../../constants';
import { testIds } from '../../testIds';
import { exploreUrl } from '../../utils/explore';
import { AnomalyList } from '../Overview/AnomalyList';
import { formatDuration, SEVERITY_COLOR } from '../Overview/format';
import { BandChart } from './BandChart';
import { TargetActions } from './TargetActions';
import { formatTime } from '../../../utils/time';

export function TargetDetail() {
  return (
    <BackendPage testId={testIds.targetDetail.container}>
      <LoadedTarget />
    </BackendPage>
  );
}

function LoadedTarget() {
  const styles = useStyles2(getStyles);
  // Already decoded by the router: decoding again would misread a label value's "%7B" or "50%".
  const id = useParams<{ id: string }>().id ?? '';
  const { prometheusDatasourceUid } = usePluginSettings();
  const detail = useBackendQuery(() => getTarget(id), `target-${id}`, { refreshMs: 15_000 });
  const watches = useBackendQuery(listWatches, 'watches', { enabled: Boolean(prometheusDatasourceUid) });

  if (!detail.data && detail.error?.status === 404) {
    return <NotWatched id={id} />;
  }
  if (!detail.data) {
    return <Unloaded query={detail} loading="Loading the target…" failed={`Cannot load target ${id}`} />;
  }
  const { target, series, anomalies, predictions, model } = detail.data;
  const steps = Object.values(series).flat();
  const range = steps.length
    ? { from: Math.min(...steps.map((p) => p.t)), to: Math.max(...steps.map((p) => p.t)) }
    : undefined;
  const watch = watches.data?.watches.find((w) => w.name === target.watch);

  return (
    <Stack direction="column" gap={3}>
      <div>
        <Text element="h2">{target.id}</Text>
        <Stack gap={1} wrap="wrap" alignItems="center">
          {target.severity && <Badge color={SEVERITY_COLOR[target.severity]} text={target.severity} />}
          {target.failureModel && <Badge color="purple" text={target.failureModel.replace('_', ' ')} />}
          <Text color="secondary">
            score {target.score.toFixed(2)} (threshold {target.threshold.toFixed(2)})
            {target.timeToFailure?.seconds != null &&
              ` · ${target.timeToFailure.signal} reaches ${target.timeToFailure.limit} in ${formatDuration(target.timeToFailure.seconds)}`}
            {target.object &&
              ` · ${target.object.kind} ${target.object.namespace ? `${target.object.namespace}/` : ''}${target.object.name}`}
            {model && ` · model v${model.version} trained ${formatTime(model.trainedAt)}`}
          </Text>
        </Stack>
        <Stack gap={1}>
          {prometheusDatasourceUid && watch && range && (
            <LinkButton
              variant="secondary"
              icon="compass"
              href={exploreUrl(prometheusDatasourceUid, Object.values(watch.queries), range.from, range.to)}
              data-testid={testIds.targetDetail.explore}
            >
              Open in Explore
            </LinkButton>
          )}
        </Stack>
      </div>
      <section aria-label="Signals">
        {Object.entries(series).map(([name, points]) => (
          <div key={name} className={styles.signal}>
            <Text element="h3">{name}</Text>
            <BandChart name={name} points={points} threshold={target.threshold} />
          </div>
        ))}
      </section>
      <section aria-label="Anomalies">
        <Text element="h3">Anomalies</Text>
        {anomalies.length ? <AnomalyList anomalies={anomalies} /> : <Text color="secondary">None recorded.</Text>}
      </section>
      <TargetActions targetId={target.id} />
      {predictions.length > 0 && (
        <section aria-label="Predictions">
          <Text element="h3">Failure predictions</Text>
          <ul>
            {predictions.slice(0, 10).map((p) => (
              <li key={p.id}>
                {formatTime(p.madeAt)}: {p.signal} {p.direction} {p.limit} at {formatTime(p.predictedFailureAt)}
              </li>
            ))}
          </ul>
        </section>
      )}
    </Stack>
  );
}

/**
 * A target no watch scores now (its series stopped or changed labels, or it was forgotten after a
 * long silence, or the link is old): what it left is still in the store, and this says where.
 */
function NotWatched({ id }: { id: string }) {
  return (
    <Alert severity="info" title={`${id} is not watched right now`}>
      <Stack direction="column" alignItems="flex-start">
        <Text>
          No watch scored this target in its last cycle: its series stopped or changed labels, or it was forgotten after
          a long silence. What it recorded is kept: its anomalies of the last day are on the Overview.
        </Text>
        <LinkButton variant="secondary" href={`${PLUGIN_BASE_URL}/${ROUTES.Overview}`}>
          Overview
        </LinkButton>
      </Stack>
    </Alert>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  signal: css({
    padding: theme.spacing(1, 0),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
});
