import { retrainTargets, type RetrainResult, type TrainingDeps } from './retraining';
import type { TargetModel } from './targetModel';

// Test fixture: a retraining as "Retrain now" runs it, each test saying only its watch, store and history.

/**
 * Retrains `target` on demand on the watch's history up to `end` (its last step processed), as a
 * runner holding it alone does at `end`, reading the history in answers of 60 steps.
 */
export function retrainOnDemand(
  deps: Pick<TrainingDeps, 'watch' | 'repo' | 'settings' | 'fetch'>,
  target: TargetModel,
  end: number
): Promise<RetrainResult> {
  return retrainTargets(
    { ...deps, clock: { now: () => end, elapsed: () => 0 }, answerSteps: () => 60, held: 1 },
    [target],
    end,
    'on_demand'
  );
}
