import React, { useState } from 'react';
import { css } from '@emotion/css';
import { dateTimeFormatTimeAgo, type GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, Button, ConfirmModal, Field, Stack, Text, TextArea, useStyles2, type Column } from '@grafana/ui';
import { reasonText, type Action } from '../../../contract/healing';
import { decideAction } from '../../api/healing';
import { DataTable } from '../../components/DataTable/DataTable';
import { DisabledReason, useDisabledReason } from '../../components/DisabledReason/DisabledReason';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { describeAction, triggerText } from './format';
import { LadderHistory } from './Ladder';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';

interface Props {
  action: Action;
  onDecided: (action: Action) => void;
}

/** One action waiting for approval: what triggered it, the policy, the dry-run diff, and the decision. */
export function PendingAction({ action, onDecided }: Props) {
  const styles = useStyles2(getStyles);
  const [decision, setDecision] = useState<'approve' | 'reject'>();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  const readOnly = useDisabledReason(canEdit() ? undefined : EDITOR_ONLY_REASON);
  const title = describeAction(action.action, action.target);

  const onConfirm = async () => {
    if (!decision) {
      return;
    }
    setError(undefined);
    try {
      const decided = await decideAction(action.id, decision, comment.trim());
      setDecision(undefined);
      setComment('');
      onDecided(decided);
    } catch (err) {
      setDecision(undefined);
      setError(messageOf(err));
    }
  };

  const button = (kind: 'approve' | 'reject') => (
    <Button
      variant={kind === 'approve' ? 'primary' : 'destructive'}
      fill={kind === 'approve' ? 'solid' : 'outline'}
      icon={kind === 'approve' ? 'check' : 'times'}
      disabled={readOnly.disabled}
      aria-label={`${kind === 'approve' ? 'Approve' : 'Reject'} action ${action.id}: ${title}`}
      aria-describedby={readOnly.describedBy}
      onClick={() => setDecision(kind)}
      data-testid={kind === 'approve' ? testIds.actions.approve(action.id) : testIds.actions.reject(action.id)}
    >
      {kind === 'approve' ? 'Approve' : 'Reject'}
    </Button>
  );

  return (
    <article
      className={styles.card}
      aria-label={`Action ${action.id}: ${title}`}
      data-testid={testIds.actions.action(action.id)}
    >
      <Stack justifyContent="space-between" alignItems="flex-start" wrap="wrap">
        <div>
          <Text element="h4">{title}</Text>
          <Text color="secondary">
            Triggered by {triggerText(action)} · policy <strong>{action.policy}</strong> · proposed{' '}
            {dateTimeFormatTimeAgo(action.createdAt)}
            {action.expiresAt && ` · expires ${formatTime(action.expiresAt)}`}
          </Text>
        </div>
        <Stack gap={1}>
          {button('approve')}
          {button('reject')}
        </Stack>
      </Stack>
      <DisabledReason of={readOnly} />
      {action.reason ? (
        <Text color="warning">{reasonText(action.reason, formatTime)}</Text>
      ) : (
        action.gate === 'approve' && (
          <Text color="secondary">Waits because its policy asks for approval before it acts.</Text>
        )
      )}
      <LadderHistory action={action} />
      <DryRun action={action} />
      {error && (
        <Alert severity="error" title="The decision was not recorded" data-testid={testIds.actions.decisionError}>
          {error}
        </Alert>
      )}
      <ConfirmModal
        isOpen={decision !== undefined}
        title={decision === 'approve' ? `Approve: ${title}?` : `Reject: ${title}?`}
        body={
          <Field label="Comment" description="Recorded in the audit log with your name">
            <TextArea
              id={`fp-action-comment-${action.id}`}
              data-testid={testIds.actions.comment}
              value={comment}
              onChange={(e) => setComment(e.currentTarget.value)}
            />
          </Field>
        }
        confirmText={decision === 'approve' ? 'Approve' : 'Reject'}
        confirmVariant={decision === 'approve' ? 'primary' : 'destructive'}
        onConfirm={onConfirm}
        onDismiss={() => setDecision(undefined)}
      />
    </article>
  );
}

type Change = NonNullable<Action['dryRun']>['changes'][number];

const CHANGE_COLUMNS: Array<Column<Change>> = [
  { id: 'field', header: 'Field' },
  { id: 'from', header: 'From', cell: ({ row: { original: c } }) => c.from ?? '–' },
  { id: 'to', header: 'To', cell: ({ row: { original: c } }) => c.to ?? '–' },
];

function DryRun({ action }: { action: Action }) {
  const styles = useStyles2(getStyles);
  const dry = action.dryRun;
  if (!dry) {
    return <Text color="secondary">No server-side dry run recorded.</Text>;
  }
  return (
    <div className={styles.dryRun}>
      <Stack alignItems="center" gap={1}>
        <Badge
          color={dry.ok ? 'green' : 'red'}
          text={dry.ok ? 'Dry run passed' : 'Dry run failed'}
          icon={dry.ok ? 'check' : 'exclamation-triangle'}
        />
        <Text>{dry.summary}</Text>
      </Stack>
      {dry.error && <Text color="error">{dry.error.message}</Text>}
      {dry.changes.length > 0 && (
        <div>
          <Text color="secondary">What would change</Text>
          <DataTable columns={CHANGE_COLUMNS} data={dry.changes} getRowId={(c) => c.field} />
        </div>
      )}
      {dry.pods && (
        <ul className={styles.pods}>
          <li>Would evict: {dry.pods.evict.map((p) => `${p.namespace}/${p.name}`).join(', ') || 'none'}</li>
          {dry.pods.skip.length > 0 && (
            <li>
              Skips:{' '}
              {dry.pods.skip
                .map((p) => `${p.namespace}/${p.name} (${reasonText({ message: p.why, since: p.since }, formatTime)})`)
                .join(', ')}
            </li>
          )}
          {dry.pods.blocked.length > 0 && (
            <li>Blocked now: {dry.pods.blocked.map((p) => `${p.namespace}/${p.name} (${p.why})`).join(', ')}</li>
          )}
        </ul>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  card: css({
    border: `1px solid ${theme.colors.border.medium}`,
    borderLeft: `4px solid ${theme.colors.warning.border}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(2),
    marginBottom: theme.spacing(2),
    background: theme.colors.background.secondary,
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  }),
  dryRun: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  }),
  pods: css({
    margin: 0,
    paddingLeft: theme.spacing(2),
  }),
});
