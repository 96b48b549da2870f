import React, { useState } from 'react';
import type { IconName } from '@grafana/data';
import { Badge, Button, Stack, Text } from '@grafana/ui';
import type { Anomaly, FeedbackKind } from '../../../contract/pipeline';
import { sendFeedback } from '../../api/pipeline';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { DisabledReason, useDisabledReason } from '../DisabledReason/DisabledReason';
import { testIds } from '../../testIds';
import { messageOf } from '../../api/fetchFailure';

const FEEDBACK_BUTTONS: Array<{ kind: FeedbackKind; icon: IconName; label: string; testId: (id: number) => string }> = [
  // "Stop alerting on this": not a thumbs-up, which reads as "good detection".
  { kind: 'false_positive', icon: 'bell-slash', label: 'False positive', testId: testIds.feedback.falsePositive },
  { kind: 'confirmed', icon: 'fire', label: 'Confirmed incident', testId: testIds.feedback.confirmed },
];

/**
 * What a mark changes, and when: retraining reads the feedback (a model in use does not change), so
 * an operator who sees the next alarm unchanged knows why.
 */
export const FEEDBACK_TAKES_EFFECT =
  'Recorded. It takes effect when the model is next retrained: nightly (03:00 by default, pipeline.retrain) or with Retrain now on the Models page.';

/** When an anomaly's latest feedback was given; none: never. */
const latestAt = (a: Anomaly) => a.feedback[0]?.at ?? -Infinity;

/**
 * Marks an anomaly a false positive or a confirmed incident (the feedback loop); Editors only.
 * Shows the anomaly it is given (the page refreshes it, with other users' feedback), except that the
 * answer to this user's own feedback stands until the anomaly given has caught up with it.
 */
export function FeedbackButtons({ anomaly, onChange }: { anomaly: Anomaly; onChange?: (a: Anomaly) => void }) {
  const [sent, setSent] = useState<Anomaly>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [recorded, setRecorded] = useState(false);
  const readOnly = useDisabledReason(canEdit() ? undefined : EDITOR_ONLY_REASON);
  const ahead = sent !== undefined && sent.id === anomaly.id && latestAt(sent) > latestAt(anomaly);
  if (sent !== undefined && !ahead) {
    // The anomaly given has caught up (or is another one): it is the one to show from now on.
    setSent(undefined);
  }
  const current = ahead ? sent : anomaly;
  const latest = current.feedback[0];

  const send = async (kind: FeedbackKind) => {
    setBusy(true);
    setError(undefined);
    setRecorded(false);
    try {
      const updated = await sendFeedback(current.id, kind);
      setSent(updated.anomaly);
      setRecorded(true);
      onChange?.(updated.anomaly);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap={1} alignItems="center" wrap="wrap">
      {latest && (
        <Badge
          color={latest.kind === 'confirmed' ? 'red' : 'blue'}
          text={`${latest.kind === 'confirmed' ? 'Confirmed' : 'False positive'}${latest.user ? ` (${latest.user})` : ''}`}
        />
      )}
      {FEEDBACK_BUTTONS.map(({ kind, icon, label, testId }) => (
        <Button
          key={kind}
          size="sm"
          variant="secondary"
          icon={icon}
          disabled={readOnly.disabled || busy}
          onClick={() => send(kind)}
          aria-label={`Mark anomaly ${current.id} a ${label.toLowerCase()}`}
          aria-describedby={readOnly.describedBy}
          data-testid={testId(current.id)}
        >
          {label}
        </Button>
      ))}
      <DisabledReason of={readOnly} variant="bodySmall" />
      {recorded && (
        <Text color="secondary" variant="bodySmall" role="status">
          {FEEDBACK_TAKES_EFFECT}
        </Text>
      )}
      {error && <span role="alert">{error}</span>}
    </Stack>
  );
}
