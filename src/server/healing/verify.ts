import type { EngineContext } from './context';
import { iso } from './lifecycle';

/** Did the triggering signal recover within the window after the action? Tells the pipeline. */
export async function verify(ctx: EngineContext, id: number): Promise<void> {
  const { lifecycle, deps, settings } = ctx;
  const action = await lifecycle.actions.get(id);
  if (action?.state !== 'succeeded' || action.finishedAt === undefined) {
    return;
  }
  const { settleSeconds, recoveredBelowScore, ...window } = (await settings.limits()).limits.verification;
  // A ladder's step has its own window (issue 17).
  const windowSeconds = action.ladder?.verifySeconds ?? window.windowSeconds;
  const now = lifecycle.now();
  if (now < action.finishedAt + settleSeconds * 1000) {
    return;
  }
  const { trigger } = action;
  const record = await lifecycle.actions.trigger(action.triggerKey);
  let recovered: { message: string; score?: number } | undefined;
  if (record?.closedAt !== undefined) {
    recovered = {
      message: `the ${trigger.source} ${trigger.source === 'alert' ? 'resolved' : 'closed'} at ${iso(record.closedAt)}`,
    };
  } else if (deps.readSignal && trigger.source === 'anomaly') {
    try {
      const score = await deps.readSignal(trigger);
      if (score !== undefined && score < recoveredBelowScore) {
        recovered = { message: `the anomaly score fell to ${score.toFixed(2)}, below ${recoveredBelowScore}`, score };
      }
    } catch (err) {
      deps.logger.warn({ err, actionId: id }, 'could not read the triggering signal for verification');
    }
  }
  if (!recovered && now < action.finishedAt + windowSeconds * 1000) {
    return;
  }
  const verification = recovered
    ? {
        recovered: true,
        message: recovered.message,
        at: now,
        ...(recovered.score !== undefined ? { score: recovered.score } : {}),
      }
    : {
        recovered: false,
        message: `the triggering signal did not recover within ${windowSeconds}s after the action`,
        at: now,
      };
  const to = recovered ? 'verified' : 'not_recovered';
  if (
    (await lifecycle.move(action, ['succeeded'], to, { verification }, [
      { kind: to, message: verification.message },
    ])) &&
    trigger.source === 'anomaly' &&
    deps.onVerified
  ) {
    try {
      await deps.onVerified(trigger.id, verification.recovered, action.id);
    } catch (err) {
      deps.logger.warn({ err, actionId: id }, 'the pipeline did not take the verification feedback');
    }
  }
}
