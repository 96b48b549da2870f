import React, { useEffect, useRef } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { Alert, LoadingPlaceholder, Stack, Text, useStyles2 } from '@grafana/ui';
import { reasonText, type Action } from '../../../contract/healing';
import { mayHaveBeenPruned } from '../../../contract/notKept';
import { getAction } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { describeAction, triggerText } from './format';
import { LadderHistory } from './Ladder';
import { PendingAction } from './PendingAction';
import { StateBadge } from './StateBadge';

/** The action a link names (`?action=<id>`, as the approval notification links it), if any. */
export function linkedActionId(): number | undefined {
  const id = Number(locationService.getSearchObject().action);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/**
 * The linked action, first on the page and scrolled to: when it waits for approval the decision is
 * made right here (in Grafana, with the user recorded); otherwise what became of it.
 */
export function LinkedAction({ id, onDecided }: { id: number; onDecided: (id: number) => void }) {
  const styles = useStyles2(getStyles);
  const query = useBackendQuery(() => getAction(id), `linked-${id}`);
  const ref = useRef<HTMLElement>(null);
  const loaded = query.data?.id;
  useEffect(() => {
    // jsdom has no scrollIntoView; browsers do.
    if (loaded !== undefined) {
      ref.current?.scrollIntoView?.({ block: 'start' });
    }
  }, [loaded]);
  return (
    <section
      ref={ref}
      aria-labelledby="fp-linked-title"
      className={styles.section}
      data-testid={testIds.actions.linked}
    >
      <Text element="h2" id="fp-linked-title">
        Action {id}
      </Text>
      {query.loading && !query.data && <LoadingPlaceholder text={`Loading action ${id}…`} />}
      {query.error &&
        !query.data &&
        // A link outlives its action: healing retention prunes finished ones (the server says how long it
        // keeps them); with retention off nothing is pruned, so the action was simply not found.
        (query.error.status === 404 ? (
          <Alert
            severity="info"
            title={
              mayHaveBeenPruned(query.error.message) ? `Action ${id} is no longer kept` : `Action ${id} was not found`
            }
          >
            {query.error.message}
          </Alert>
        ) : (
          <Alert severity="error" title={`Cannot load action ${id}`}>
            {query.error.message}
          </Alert>
        ))}
      {query.data &&
        (query.data.state === 'awaiting_approval' ? (
          <PendingAction
            action={query.data}
            onDecided={(decided) => {
              query.reload();
              onDecided(decided.id);
            }}
          />
        ) : (
          <Decided action={query.data} />
        ))}
    </section>
  );
}

function Decided({ action }: { action: Action }) {
  const styles = useStyles2(getStyles);
  const decision = action.decisions[action.decisions.length - 1];
  const outcome =
    action.verification?.message ??
    action.result?.summary ??
    (action.reason ? reasonText(action.reason, formatTime) : undefined);
  return (
    <article
      className={styles.card}
      aria-label={`Action ${action.id}: ${describeAction(action.action, action.target)}`}
    >
      <Stack alignItems="center" gap={1}>
        <Text element="h4">{describeAction(action.action, action.target)}</Text>
        <StateBadge state={action.state} />
      </Stack>
      <Text color="secondary">
        Triggered by {triggerText(action)} · policy <strong>{action.policy}</strong> · last change{' '}
        {formatTime(action.updatedAt)}
        {decision && ` · ${decision.decision} by ${decision.user}`}
      </Text>
      {outcome && <Text element="p">{outcome}</Text>}
      <LadderHistory action={action} />
    </article>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({
    marginBottom: theme.spacing(3),
  }),
  card: css({
    border: `1px solid ${theme.colors.border.medium}`,
    borderLeft: `4px solid ${theme.colors.primary.border}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(2),
    background: theme.colors.background.secondary,
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  }),
});
