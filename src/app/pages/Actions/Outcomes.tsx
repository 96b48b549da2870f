import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Alert, Text, useStyles2, type Column } from '@grafana/ui';
import type { PolicyOutcome } from '../../../contract/healing';
import { listOutcomes } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { testIds } from '../../testIds';
import { DataTable } from '../../components/DataTable/DataTable';

const seconds = (s: number | null) => (s === null ? '–' : s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

const outcomeId = (o: PolicyOutcome) => `${o.policy} ${o.action}`;

const COLUMNS: Array<Column<PolicyOutcome>> = [
  { id: 'policy', header: 'Policy' },
  { id: 'action', header: 'Action' },
  { id: 'executed', header: 'Executed' },
  { id: 'recovered', header: 'Recovered' },
  { id: 'notRecovered', header: 'Not recovered' },
  { id: 'failed', header: 'Failed' },
  {
    id: 'medianRecoverySeconds',
    header: 'Median time to recovery',
    cell: ({ row: { original: o } }) => seconds(o.medianRecoverySeconds),
  },
  { id: 'prevented', header: 'Failures prevented' },
];

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
      <DataTable className={styles.table} columns={COLUMNS} data={items} getRowId={outcomeId} />
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ marginTop: theme.spacing(4) }),
  table: css({ marginBottom: theme.spacing(2) }),
});
