import { jobWatch, sampledQuerier } from '../harness/spikingFleet';
import { MINUTE } from './helpers';

// The watch the tests of replicas sharing one store run (sharedListing, sortedTargets, the retraining
// ones): the harness's job watch, closing anomalies as configured by default.

export const SHARED_NOW = Date.UTC(2025, 3, 7, 12);

export const sharedWatchConfig = { watches: [jobWatch] };

/** Eight jobs, each wandering about its own level: the retraining tests' fleet. */
export const RETRAIN_JOBS = Array.from({ length: 8 }, (_, k) => `j${k}`);
export const retrainQuerier = sampledQuerier(
  RETRAIN_JOBS.map((job, k) => ({
    labels: { job },
    value: (t: number) => 50 + k + 3 * Math.sin(t / (7 * MINUTE) + k),
  }))
);
