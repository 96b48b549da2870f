import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Alert, Text, useStyles2 } from '@grafana/ui';
import { listOutcomes } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { testIds } from '../../testIds';
import { dataTableStyles } from '../../../utils/tableStyles';

const seconds = (s: number | null) => (s === null ? '–' : s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

/** Proof of value: per policy and action type, what the executed actions achieved (from the store). */
export function Outcomes({ refreshMs }: { refreshMs: number }) {
  const styles = useStyles2(getStyles);
  const outcomes = useBackendQuery(listOutcomes, 'outcomes', { refreshMs });
  if (outcomes.error && !outcomes.data) {
    return (
      <Alert severity="warning" title="Cannot load what the actions achieved">
        {outcomes.error.message}
      </Alert>
    );
  }
  const items = outcomes.data?.items ?? [];
  if (items.length === 0) {
    return null;
  }
  return (
    <section aria-labelledby="fp-outcomes-title" className={styles.section} data-testid={testIds.actions.outcomes}>
      <Text element="h2" id="fp-outcomes-title">
        What the actions achieved
      </Text>
      <table className={styles.table}>
        <thead>
          <tr>
            <th scope="col">Policy</th>
            <th scope="col">Action</th>
            <th scope="col">Executed</th>
            <th scope="col">Recovered</th>
            <th scope="col">Not recovered</th>
            <th scope="col">Failed</th>
            <th scope="col">Median time to recovery</th>
            <th scope="col">Failures prevented</th>
          </tr>
        </thead>
        <tbody>
          {items.map((o) => (
            <tr key={`${o.policy} ${o.action}`}>
              <td>{o.policy}</td>
              <td>{o.action}</td>
              <td>{o.executed}</td>
              <td>{o.recovered}</td>
              <td>{o.notRecovered}</td>
              <td>{o.failed}</td>
              <td>{seconds(o.medianRecoverySeconds)}</td>
              <td>{o.prevented}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ marginTop: theme.spacing(4) }),
  table: css(dataTableStyles(theme), { marginBottom: theme.spacing(2) }),
});
