import React, { useState } from 'react';
import { Alert, Button, ConfirmModal, Field, Stack, Text, TextArea } from '@grafana/ui';
import type { Breaker } from '../../../contract/healing';
import { closeBreaker, listBreakers } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { DisabledReason, useDisabledReason } from '../../components/DisabledReason/DisabledReason';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';

/**
 * Open circuit breakers: targets that kept needing the same fix, where nothing runs automatically
 * until an Editor closes the breaker here (audited with the user). Nothing shows while none is open.
 */
export function Breakers({ refreshMs }: { refreshMs: number }) {
  const breakers = useBackendQuery(listBreakers, 'breakers', { refreshMs });
  const [closing, setClosing] = useState<Breaker>();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  const items = breakers.data?.items ?? [];
  if (breakers.error && !breakers.data) {
    return (
      <Alert severity="warning" title="Cannot load the circuit breakers">
        {breakers.error.message}
      </Alert>
    );
  }
  if (items.length === 0) {
    return null;
  }
  const onConfirm = async () => {
    if (!closing) {
      return;
    }
    setError(undefined);
    try {
      await closeBreaker(closing.target, comment.trim());
      setComment('');
      breakers.reload();
    } catch (err) {
      setError(messageOf(err));
    }
    setClosing(undefined);
  };
  return (
    <section aria-labelledby="fp-breakers-title" data-testid={testIds.actions.breakers}>
      <Text element="h2" id="fp-breakers-title">
        Circuit breakers open ({items.length})
      </Text>
      {items.map((b) => (
        <OpenBreaker key={b.id} breaker={b} onClose={() => setClosing(b)} />
      ))}
      {error && (
        <Alert severity="error" title="The breaker was not closed">
          {error}
        </Alert>
      )}
      <ConfirmModal
        isOpen={closing !== undefined}
        title={`Close the circuit breaker on ${closing?.target ?? ''}?`}
        body={
          <Field label="Comment" description="Recorded in the audit log with your name" htmlFor="fp-breaker-comment">
            <TextArea id="fp-breaker-comment" value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
          </Field>
        }
        confirmText="Close breaker"
        onConfirm={onConfirm}
        onDismiss={() => setClosing(undefined)}
      />
    </section>
  );
}

/** One open breaker: what keeps needing the same fix, and its Close button (Editors only, the reason beside it). */
function OpenBreaker({ breaker: b, onClose }: { breaker: Breaker; onClose: () => void }) {
  const readOnly = useDisabledReason(canEdit() ? undefined : EDITOR_ONLY_REASON);
  return (
    <Alert severity="warning" title={`${b.target}: ${b.actionType} ran ${b.repeats} times`}>
      <Text element="p">
        Open since {formatTime(b.openedAt)}: the fix does not hold, so automatic actions on {b.target} wait for approval
        (action {b.actionId} first).
      </Text>
      <Stack alignItems="center" gap={2} wrap="wrap">
        <Button
          variant="secondary"
          size="sm"
          icon="unlock"
          disabled={readOnly.disabled}
          aria-describedby={readOnly.describedBy}
          onClick={onClose}
          data-testid={testIds.actions.closeBreaker(b.target)}
        >
          Close breaker
        </Button>
        <DisabledReason of={readOnly} />
      </Stack>
    </Alert>
  );
}
