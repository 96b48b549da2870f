import React, { useState, type ReactNode } from 'react';
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
import { useUrlParams } from '../../utils/useUrlParams';
import { ActionTable, actionColumns } from './ActionTable';
import { Breakers } from './Breakers';
import { LinkedAction, linkedActionId } from './LinkedAction';
import { Outcomes } from './Outcomes';
import { PendingAction } from './PendingAction';

/** How often the page asks for new proposals and state changes (no reload needed). */
export const ACTIONS_REFRESH_MS = 5000;
const PAGE_SIZE = 20;
/** Pending actions on a page: each is a card with its dry run, and a storm proposes thousands. */
export const PENDING_PAGE_SIZE = 20;

export function Actions() {
  return (
    <BackendPage testId={testIds.actions.container}>
      <ActionLists />
    </BackendPage>
  );
}

/** Every state but awaiting approval: the history lists what was decided or ran, and pages over only that. */
const HISTORY_STATES = actionStateSchema.options.filter((s) => s !== 'awaiting_approval');

/** The pending list's search parameter: the cursor of its page (the backend's `next` or `previous`). */
const PENDING_VIEW = { pending: '' };

function ActionLists() {
  // The page of pending actions shown, by its cursor (none: the newest), in the URL as the history's
  // is: keyset by id, so a proposal arriving meanwhile joins the newest page and shifts no other.
  const [view, setView] = useUrlParams(PENDING_VIEW);
  const cursor = view.pending || undefined;
  const pending = useBackendQuery(
    () => listActions({ state: ['awaiting_approval'], limit: PENDING_PAGE_SIZE, cursor }),
    `pending-${cursor ?? 'newest'}`,
    { refreshMs: ACTIONS_REFRESH_MS }
  );
  const [decided, setDecided] = useState<Set<number>>(new Set());
  // A link (the approval notification's) opens the page on one action, shown first.
  const linked = linkedActionId();
  const listed = pending.data?.items ?? [];
  const waiting = listed.filter((a) => !decided.has(a.id));
  // How many wait in all: the backend's count, not its page's, less those decided here since its answer.
  const total = pending.data && Math.max(waiting.length, pending.data.total - (listed.length - waiting.length));
  const onDecided = (id: number) => setDecided(new Set(decided).add(id));
  const items = waiting.filter((a) => a.id !== linked);
  return (
    <>
      {linked !== undefined && <LinkedAction id={linked} onDecided={onDecided} />}
      <Breakers refreshMs={ACTIONS_REFRESH_MS} />
      <PendingActions
        pending={pending}
        items={items}
        // The linked one, shown above, is not counted below either.
        count={(total ?? 0) - (waiting.length - items.length)}
        onDecided={onDecided}
        pager={
          <CursorPager
            label="Pages of pending actions"
            cursor={cursor}
            next={pending.data?.next}
            previous={pending.data?.previous}
            onNavigate={(c) => setView({ pending: c })}
          />
        }
      />
      <ActionHistory waiting={total} />
      <Outcomes refreshMs={ACTIONS_REFRESH_MS} />
    </>
  );
}

/** `items`: the pending actions of the page shown; `count`: how many wait on every page; `pager`: its pages. */
function PendingActions({
  pending,
  items,
  count,
  onDecided,
  pager,
}: {
  pending: BackendQuery<ActionList>;
  items: Action[];
  count: number;
  onDecided: (id: number) => void;
  pager: ReactNode;
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
        Waiting for approval ({count})
      </Text>
      {pending.error && (
        <Alert severity="warning" title="Refresh failed; showing the last answer">
          {pending.error.message}
        </Alert>
      )}
      {count === 0 ? (
        // Plain words, not an empty state: the history below may well hold actions.
        <Text color="secondary" element="p" data-testid={testIds.actions.noPending}>
          Nothing is waiting for approval.
        </Text>
      ) : items.length === 0 ? (
        <Text color="secondary" element="p">
          Nothing left on this page: the others wait on the pages beside it.
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
      {pager}
    </section>
  );
}

/** The history's search parameter: the cursor of its page (the backend's `next` or `previous`). */
const HISTORY_VIEW = { cursor: '' };

/** `waiting`: how many actions wait for approval above (undefined until known). */
function ActionHistory({ waiting }: { waiting?: number }) {
  const styles = useStyles2(getStyles);
  // The page shown, by its cursor (none: the newest); it stays the same page as actions are added. In
  // the URL, so a page of the history is a link, survives a reload, and Back returns to the one before.
  const [view, setView] = useUrlParams(HISTORY_VIEW);
  const cursor = view.cursor || undefined;
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
      <CursorPager
        label="Pages of the action history"
        cursor={cursor}
        next={history.data?.next}
        previous={history.data?.previous}
        onNavigate={(c) => setView({ cursor: c })}
      />
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
