import { messageOf } from '../../utils/messageOf';
import type {
  Anomaly,
  FeedbackKind,
  FeedbackSource,
  ModelVersion,
  RetrainBody,
  RetrainResponse,
} from '../../contract/pipeline';
import type { ModelFence } from './retrainClaims';
import { RetrainCutShortError, RetrainStoppedError } from './retrainDeadline';
import type { PipelineRepository } from './store/repository';
import { noAnomaly, PipelineError } from './views';
import type { WatchRunner } from './watchRunner';

/** What an operator (or healing) asks of training: retrain now, and feedback the next training uses. */

/**
 * What a retraining covers: the route's body, or (the requests other replicas left, run together)
 * a set of targets, whose models are stored only past `fence` (a request's run may outlast its claims).
 */
export type RetrainSelection = RetrainBody & { targets?: readonly string[]; fence?: ModelFence };

/** "Retrain now" on a target that went (its model retired): nothing runs its model until it is back. */
export class RetiredTargetError extends Error {
  constructor(target: string, version: number) {
    super(
      `target "${target}" is gone (no samples for a while): its model v${version} is retired, and there is nothing to retrain until the target is back`
    );
    this.name = 'RetiredTargetError';
  }
}

/**
 * A retraining's not_found told apart: for a target whose current model is retired the answer is
 * why (RetiredTargetError), not that it does not exist. Anything else is returned as it is.
 */
export async function retrainRefusal(repo: PipelineRepository, body: RetrainBody, err: unknown): Promise<unknown> {
  if (!(err instanceof PipelineError) || err.kind !== 'not_found' || body.target === undefined) {
    return err;
  }
  const [current] = await repo.models({ target: body.target, status: 'current', limit: 1 });
  return current?.status === 'retired' ? new RetiredTargetError(body.target, current.version) : err;
}

/**
 * One retraining per request at a time: a request for what is being retrained already (the same
 * watch and target, for the same reason) gets the answer of that run instead of queueing another.
 * A retraining replays the watch's whole history and holds the watch's cycles while it runs, so
 * repeated requests (the button, a script, a retry after a timeout) queued without bound and held
 * detection until they had all run. Runs with different fences never share one: a request's run
 * stores only what its own claims still hold, so an answer stored past another's fence (or none) is
 * not its answer.
 */
export function coalescedRetraining(
  retrain: (body: RetrainSelection, reason: ModelVersion['reason']) => Promise<RetrainResponse>
): (body: RetrainSelection, reason: ModelVersion['reason']) => Promise<RetrainResponse> {
  const running = new Map<string, Promise<RetrainResponse>>();
  // A fence is a function: each is given a number of its own, kept only while the fence lives.
  const fences = new WeakMap<ModelFence, number>();
  let numbered = 0;
  const fenceKey = (fence: ModelFence | undefined): number | null => {
    if (fence === undefined) {
      return null;
    }
    if (!fences.has(fence)) {
      fences.set(fence, ++numbered);
    }
    return fences.get(fence)!;
  };
  return (body, reason) => {
    const key = JSON.stringify([
      body.watch ?? null,
      body.target ?? null,
      body.targets ?? null,
      reason,
      fenceKey(body.fence),
    ]);
    const joined = running.get(key);
    if (joined) {
      return joined;
    }
    const run = retrain(body, reason).finally(() => running.delete(key));
    running.set(key, run);
    return run;
  };
}

/**
 * Retrains the runners (and targets) the selection names; a runner that fails (or is abandoned past
 * its deadline) counts all its targets as failed, except in a request's run (fenced), which an
 * abandoned runner rejects. A runner the backend's stop cut short rejects any run with its
 * RetrainStoppedError: nothing failed. A set of targets is what requests found held here: none of them is refused.
 */
export async function retrainRunners(
  all: readonly WatchRunner[],
  body: RetrainSelection,
  reason: ModelVersion['reason']
): Promise<RetrainResponse> {
  const runners = all.filter((r) => body.watch === undefined || r.name === body.watch);
  if (body.watch !== undefined && runners.length === 0) {
    throw new PipelineError('not_found', `no watch named "${body.watch}"`);
  }
  if (body.target !== undefined && !runners.some((r) => r.targets.has(body.target!))) {
    throw new PipelineError('not_found', `no target "${body.target}"`);
  }
  const set = body.targets && new Set(body.targets);
  const chosen = (id: string) => (body.target === undefined || id === body.target) && (!set || set.has(id));
  let trained = 0;
  const failed: RetrainResponse['failed'] = [];
  for (const r of runners) {
    try {
      const result = await r.retrain(chosen, reason, body.fence);
      trained += result.trained;
      failed.push(...result.failed);
    } catch (err) {
      // A request's run cut short is not answered: its claims lapse for another replica (sharedRetraining.ts).
      if ((body.fence && err instanceof RetrainCutShortError) || err instanceof RetrainStoppedError) {
        throw err;
      }
      failed.push({ target: `${r.name} (all targets)`, error: messageOf(err) });
    }
  }
  return { trained, failed };
}

/** Feedback as its callers give it: on which anomaly, what, from where, by whom and why. */
export type FeedbackArgs = [
  anomalyId: number,
  kind: FeedbackKind,
  source: FeedbackSource,
  user?: string,
  comment?: string,
];

/**
 * Feedback on an anomaly from an operator or from the healing engine's verification (a
 * remediated anomaly is a confirmed incident). The next training uses it.
 */
export async function recordFeedback(
  repo: PipelineRepository,
  ...[anomalyId, kind, source, user, comment]: FeedbackArgs
): Promise<Anomaly> {
  if (!(await repo.anomaly(anomalyId))) {
    throw new PipelineError('not_found', noAnomaly(anomalyId));
  }
  await repo.addFeedback(anomalyId, kind, source, user ?? null, comment ?? null);
  const anomaly = await repo.anomaly(anomalyId);
  if (!anomaly) {
    throw new PipelineError('not_found', `anomaly ${anomalyId} went while its feedback was recorded`);
  }
  return anomaly;
}
