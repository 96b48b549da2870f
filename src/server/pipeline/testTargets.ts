import type { StepValues } from './alignment';
import { TargetModel, type TargetSettings } from './targetModel';

// Test fixtures: targets as the tests build them, each test saying only the settings it varies.

/** A z-score target scored every minute, 10 steps of probation, closing after 3 quiet steps, keeping no detail. */
export function testSettings(changes: Partial<TargetSettings> = {}): TargetSettings {
  return {
    detector: 'zscore',
    stepMs: 60_000,
    probation: 10,
    closeAfter: 3,
    horizonSteps: 60,
    detailPoints: 0,
    ...changes,
  };
}

/** The target of watch `w` labelled {job}, with no Kubernetes object. */
export function jobTarget(job: string, settings: TargetSettings, threshold: number): TargetModel {
  return new TargetModel(`w{job="${job}"}`, 'w', { job }, null, settings, threshold);
}

/** Targets with the value of their one signal at a step, all with series in the answer, as an aligned answer gives them. */
export function stepValuesOf(aligned: Array<{ target: TargetModel; value: number }>): StepValues {
  return {
    targets: aligned.map((a) => a.target),
    present: aligned.length,
    value: (i, k) => (k === 0 ? aligned[i].value : NaN),
  };
}
