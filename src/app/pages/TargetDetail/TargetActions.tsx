import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Stack, Text, TextLink, useStyles2 } from '@grafana/ui';
import { QueryStatus } from '../../components/QueryStatus/QueryStatus';
import type { Action } from '../../../contract/healing';
import { PLUGIN_BASE_URL, ROUTES } from '../../../constants';
import { listActions } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { testIds } from '../../testIds';
import { ActionTable, actionColumns } from '../Actions/ActionTable';

const SHOWN = 20;

/** The healing actions this target's anomalies raised, newest first; the Actions page has them all. */
export function TargetActions({ targetId }: { targetId: string }) {
  const styles = useStyles2(getStyles);
  const actions = useBackendQuery(
    () => listActions({ triggerTarget: targetId, limit: SHOWN }),
    `target-actions-${targetId}`,
    { refreshMs: 15_000 }
  );
  const items = actions.data?.items ?? [];
  const total = actions.data?.total ?? 0;

  return (
    <section aria-labelledby="fp-target-actions-title" data-testid={testIds.targetActions.section}>
      <Stack justifyContent="space-between" alignItems="baseline">
        <Text element="h3" id="fp-target-actions-title">
          Actions taken
        </Text>
        <TextLink href={`${PLUGIN_BASE_URL}/${ROUTES.Actions}`} inline={false}>
          {total > items.length ? `All ${total} on the Actions page` : 'Actions page'}
        </TextLink>
      </Stack>
      <QueryStatus query={actions} what="the actions" />
      {actions.data && items.length === 0 && (
        <div data-testid={testIds.targetActions.empty}>
          <Text color="secondary">No actions taken for this target.</Text>
        </div>
      )}
      {items.length > 0 && (
        <ActionTable className={styles.table} columns={COLUMNS} actions={items} rowAttributes={actionRow} />
      )}
    </section>
  );
}

const COLUMNS = [
  actionColumns.created,
  actionColumns.action,
  actionColumns.policy,
  actionColumns.stateWithReason,
  actionColumns.verification,
];

const actionRow = (a: Action) => ({ 'data-testid': testIds.targetActions.action(a.id) });

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({ marginTop: theme.spacing(1) }),
});
