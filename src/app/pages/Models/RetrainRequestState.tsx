import React from 'react';
import { Badge } from '@grafana/ui';
import type { RetrainRequestView } from '../../../contract/retrainRequests';
import { formatTime } from '../../../utils/time';
import { testIds } from '../../testIds';

/** How long a queued request waits for a replica holding its target, in words. */
export function expiryInWords(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

/** Each target's request, from the list of each target's newest. */
export function byTarget(requests: readonly RetrainRequestView[]): Map<string, RetrainRequestView> {
  return new Map(requests.flatMap((r) => (r.target === null ? [] : [[r.target, r] as const])));
}

/**
 * A target's retraining queued on another replica, until it is answered: queued (for the replica
 * that held the target), running (on the one that took it), expired (no replica held the target in
 * time), or failed. A request that ran well shows as the model's new version instead; one answered
 * before the model shown was trained (by the nightly retraining, or a later "Retrain now") is history,
 * so it shows nothing.
 */
export function RetrainRequestState({
  request: r,
  expiresAfterMs,
  modelTrainedAt,
}: {
  request: RetrainRequestView;
  expiresAfterMs: number;
  modelTrainedAt: number;
}) {
  if (r.answeredAt !== null && r.answeredAt < modelTrainedAt) {
    return null;
  }
  const asked = `asked on ${r.requestedBy} at ${formatTime(r.requestedAt)}`;
  const failure = r.failed?.map((f) => f.error).join('; ');
  const shown =
    r.state === 'queued'
      ? {
          color: 'blue' as const,
          text: `Queued for ${r.replica}`,
          tip: `Queued for ${r.replica} (${asked}): the replica holding the target runs it after its next cycle; if none does within ${expiryInWords(expiresAfterMs)} (or three of its watch's steps, when longer), it expires.`,
        }
      : r.state === 'running'
        ? { color: 'blue' as const, text: `Retraining on ${r.claimedBy}`, tip: `Running on ${r.claimedBy} (${asked}).` }
        : r.state === 'expired'
          ? {
              color: 'orange' as const,
              text: 'Retraining expired',
              tip: `No replica held the target within ${expiryInWords(expiresAfterMs)} (or three of its watch's steps, when longer) of the request (${asked}); it expired at ${formatTime(r.answeredAt ?? r.requestedAt)}. Retrain again once the target is back.`,
            }
          : failure
            ? {
                color: 'red' as const,
                text: 'Queued retraining failed',
                tip: `${failure} (${asked}, run on ${r.claimedBy}).`,
              }
            : undefined;
  if (!shown) {
    return null;
  }
  return (
    <span data-testid={testIds.models.retrainRequest(r.target ?? '')}>
      <Badge color={shown.color} text={shown.text} tooltip={shown.tip} />
    </span>
  );
}
