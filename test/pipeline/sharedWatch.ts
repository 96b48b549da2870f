import { sampledQuerier } from '../harness/spikingFleet';
import { MINUTE } from './helpers';

// The watch the tests of replicas sharing one store run (sharedListing, sortedTargets, the retraining
// ones): one query, a target per job, a 1-minute step, 3 h of history, z-scores.

export const SHARED_NOW = Date.UTC(2025, 3, 7, 12);

export const sharedWatchConfig = {
  watches: [
    {
      name: 'w',
      queries: { x: 'x' },
      target: ['job'],
      step: '1m',
      history: '3h',
      lag: 0,
      probation: 60,
      detector: 'zscore',
    },
  ],
};

/** Eight jobs, each wandering about its own level: the retraining tests' fleet. */
export const RETRAIN_JOBS = Array.from({ length: 8 }, (_, k) => `j${k}`);
export const retrainQuerier = sampledQuerier(
  RETRAIN_JOBS.map((job, k) => ({
    labels: { job },
    value: (t: number) => 50 + k + 3 * Math.sin(t / (7 * MINUTE) + k),
  }))
);
