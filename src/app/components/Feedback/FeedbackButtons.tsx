import React, { useState } from 'react';
import type { IconName } from '@grafana/data';
import { Badge, Button, Stack, Tooltip } from '@grafana/ui';
import type { Anomaly, FeedbackKind } from '../../../contract/pipeline';
import { sendFeedback } from '../../api/pipeline';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { messageOf } from '../../api/fetchFailure';

const FEEDBACK_BUTTONS: Array<{ kind: FeedbackKind; icon: IconName; label: string; testId: (id: number) => string }> = [
  { kind: 'false_positive', icon: 'thumbs-up', label: 'False positive', testId: testIds.feedback.falsePositive },
  { kind: 'confirmed', icon: 'fire', label: 'Confirmed incident', testId: testIds.feedback.confirmed },
];

/** Marks an anomaly a false positive or a confirmed incident (the feedback loop); Editors only. */
export function FeedbackButtons({ anomaly, onChange }: { anomaly: Anomaly; onChange?: (a: Anomaly) => void }) {
  const [current, setCurrent] = useState(anomaly);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const editor = canEdit();
  const latest = current.feedback[0];

  const send = async (kind: FeedbackKind) => {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await sendFeedback(current.id, kind);
      setCurrent(updated.anomaly);
      onChange?.(updated.anomaly);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const buttons = (
    <Stack gap={1} alignItems="center">
      {FEEDBACK_BUTTONS.map(({ kind, icon, label, testId }) => (
        <Button
          key={kind}
          size="sm"
          variant="secondary"
          icon={icon}
          disabled={!editor || busy}
          onClick={() => send(kind)}
          aria-label={`Mark anomaly ${current.id} a ${label.toLowerCase()}`}
          data-testid={testId(current.id)}
        >
          {label}
        </Button>
      ))}
    </Stack>
  );
  return (
    <Stack gap={1} alignItems="center" wrap="wrap">
      {latest && (
        <Badge
          color={latest.kind === 'confirmed' ? 'red' : 'blue'}
          text={`${latest.kind === 'confirmed' ? 'Confirmed' : 'False positive'}${latest.user ? ` (${latest.user})` : ''}`}
        />
      )}
      {editor ? (
        buttons
      ) : (
        <Tooltip content={EDITOR_ONLY_REASON}>
          {
            <span tabIndex={0} aria-label={EDITOR_ONLY_REASON}>
              {buttons}
            </span>
          }
        </Tooltip>
      )}
      {error && <span role="alert">{error}</span>}
    </Stack>
  );
}
