import type { TimeToFailure } from '../../contract/pipeline';
import { createProductDetector } from '../../detection';
import { SignalModel, type SignalSpec } from './signal';
import type { ScoredStep } from './stepVerdict';

// Test fixtures: scored steps as a step's verdict reads them, each signal as the loop leaves it.

/** A signal as the loop leaves it at step t: its value and score there, a learned band of [0.2, 0.4] around 0.3. */
export function bandSignal(
  spec: SignalSpec,
  t: number,
  value: number,
  score: number,
  ttf: TimeToFailure | null = null
): SignalModel {
  const s = new SignalModel(spec, createProductDetector('zscore', 0.5, 0), undefined, 0);
  Object.assign(s, { value, expected: 0.3, lower: 0.2, upper: 0.4, score, lastAt: t, ttf });
  s.direction = value > 0.4 ? 'above' : value < 0.2 ? 'below' : 'none';
  return s;
}

/** A `memory` signal's forecast at t: its limit 1 crossed `seconds` after t at the earliest, `already` past it. */
export function memoryForecast(t: number, seconds: number, already = false): TimeToFailure {
  return {
    signal: 'memory',
    limit: 1,
    direction: 'above',
    seconds: already ? 0 : seconds + 120,
    lowerSeconds: already ? 0 : seconds,
    upperSeconds: already ? 0 : seconds + 300,
    fromMs: t,
  };
}

/** Step t of a target with these signals, its score their highest, at threshold 0.5. */
export function scoredStep(t: number, signals: SignalModel[], ttf: TimeToFailure | null, open: boolean): ScoredStep {
  return { t, signals, threshold: 0.5, score: Math.max(0, ...signals.map((s) => s.score)), ttf, open };
}
