import React, { useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, EmptyState, LoadingPlaceholder, Stack, Text, useStyles2 } from '@grafana/ui';
import { actionStateSchema, type Action, type ActionList } from '../../../contract/healing';
import { listActions } from '../../api/healing';
import { useBackendQuery, type BackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { CursorPager } from '../../components/CursorPager/CursorPager';
import { QueryStatus } from '../../components/QueryStatus/QueryStatus';
import { testIds } from '../../testIds';
import { ActionTable, actionColumns } from './ActionTable';
import { Breakers } from './Breakers';
import { LinkedAction, linkedActionId } from './LinkedAction';
import { Outcomes } from './Outcomes';
import { PendingAction } from './PendingAction';

/** How often the page asks for new proposals and state changes (no reload needed). */
export const ACTIONS_REFRESH_MS = 5000;
const PAGE_SIZE = 20;

export function Actions() {
  return (
    <BackendPage testId={testIds.actions.container}>
      <ActionLists />
    </BackendPage>
  );
}

/** Every state but awaiting approval: the history lists what was decided or ran, and pages over only that. */
const HISTORY_STATES = actionStateSchema.options.filter((s) => s !== 'awaiting_approval');

function ActionLists() {
  const pending = useBackendQuery(() => listActions({ state: ['awaiting_approval'], limit: 100 }), 'pending', {
    refreshMs: ACTIONS_REFRESH_MS,
  });
  const [decided, setDecided] = useState<Set<number>>(new Set());
  // A link (the approval notification's) opens the page on one action, shown first.
  const linked = linkedActionId();
  const waiting = (pending.data?.items ?? []).filter((a) => !decided.has(a.id));
  const onDecided = (id: number) => setDecided(new Set(decided).add(id));
  return (
    <>
      {linked !== undefined && <LinkedAction id={linked} onDecided={onDecided} />}
      <Breakers refreshMs={ACTIONS_REFRESH_MS} />
      <PendingActions pending={pending} items={waiting.filter((a) => a.id !== linked)} onDecided={onDecided} />
      <ActionHistory waiting={pending.data ? waiting.length : undefined} />
      <Outcomes refreshMs={ACTIONS_REFRESH_MS} />
    </>
  );
}

function PendingActions({
  pending,
  items,
  onDecided,
}: {
  pending: BackendQuery<ActionList>;
  items: Action[];
  onDecided: (id: number) => void;
}) {
  if (pending.loading && !pending.data) {
    return <LoadingPlaceholder text="Loading pending actions…" />;
  }
  if (pending.error && !pending.data) {
    return (
      <Alert severity="error" title="Cannot load the pending actions">
        {pending.error.message}
      </Alert>
    );
  }
  return (
    <section aria-labelledby="fp-pending-title" data-testid={testIds.actions.pending}>
      <Text element="h2" id="fp-pending-title">
        Waiting for approval ({items.length})
      </Text>
      {pending.error && (
        <Alert severity="warning" title="Refresh failed; showing the last answer">
          {pending.error.message}
        </Alert>
      )}
      {items.length === 0 ? (
        // Plain words, not an empty state: the history below may well hold actions.
        <Text color="secondary" element="p" data-testid={testIds.actions.noPending}>
          Nothing is waiting for approval.
        </Text>
      ) : (
        items.map((action) => (
          <PendingAction
            key={action.id}
            action={action}
            onDecided={() => {
              // Drop it at once; the next refresh confirms it from the backend.
              onDecided(action.id);
              pending.reload();
            }}
          />
        ))
      )}
    </section>
  );
}

/** `waiting`: how many actions wait for approval above (undefined until known). */
function ActionHistory({ waiting }: { waiting?: number }) {
  const styles = useStyles2(getStyles);
  // The page shown, by its cursor (undefined: the newest); it stays the same page as actions are added.
  const [cursor, setCursor] = useState<string>();
  const history = useBackendQuery(
    () => listActions({ state: HISTORY_STATES, limit: PAGE_SIZE, cursor }),
    `history-${cursor ?? 'newest'}`,
    {
      refreshMs: ACTIONS_REFRESH_MS,
    }
  );
  const items = history.data?.items ?? [];

  return (
    <section aria-labelledby="fp-history-title" className={styles.history} data-testid={testIds.actions.history}>
      <Stack justifyContent="space-between" alignItems="center">
        <Text element="h2" id="fp-history-title">
          History
        </Text>
        <Button variant="secondary" size="sm" icon="sync" onClick={history.reload}>
          Refresh
        </Button>
      </Stack>
      <QueryStatus query={history} what="the history" />
      {history.data &&
        items.length === 0 &&
        // An empty state only when the page is empty: actions waiting above are actions, and until
        // their count is known nothing is said (a slower pending list would read "No actions yet").
        waiting !== undefined &&
        (waiting > 0 ? (
          <Text color="secondary" element="p" data-testid={testIds.actions.noHistory}>
            Nothing decided or run yet: {waiting === 1 ? 'the action above waits' : `the ${waiting} actions above wait`}{' '}
            for approval.
          </Text>
        ) : (
          <div data-testid={testIds.actions.noHistory}>
            <EmptyState variant="not-found" message="No actions yet" />
          </div>
        ))}
      {items.length > 0 && (
        <ActionTable className={styles.table} columns={HISTORY_COLUMNS} actions={items} rowAttributes={historyRow} />
      )}
      <CursorPager cursor={cursor} next={history.data?.next} previous={history.data?.previous} onNavigate={setCursor} />
    </section>
  );
}

const HISTORY_COLUMNS = [
  actionColumns.updated,
  actionColumns.actionWithLadder,
  actionColumns.trigger,
  actionColumns.policy,
  actionColumns.state,
  actionColumns.decidedBy,
  actionColumns.outcome,
];

const historyRow = (a: Action) => ({ 'data-testid': testIds.actions.action(a.id), 'data-state': a.state });

const getStyles = (theme: GrafanaTheme2) => ({
  history: css({
    marginTop: theme.spacing(4),
  }),
  table: css({ marginBottom: theme.spacing(2) }),
});
