import type { Scenario } from './scenarios';

/** One method's answer at a cut point: seconds to the crossing and its 80% and 95% intervals (null: no prediction). */
export interface Answer {
  seconds: number;
  lower80?: number;
  upper80?: number;
  lower95?: number;
  upper95?: number;
}

export const HORIZONS_H = [1, 4, 24] as const;
/** A cut point counts towards a horizon when the true crossing comes within this fraction of it. */
const BIN = 0.5;
const HOUR_S = 3600;

/**
 * What "the series crosses its limit" means. `level` (the default): the series' level, without its
 * sample-to-sample noise: the generator's noise-free path where it is known, else a centred
 * one-hour mean. `samples`: a 15-minute trailing mean of the samples (3 at 5 min), the definition
 * of the first runs, whose first passage is pulled early by the noise.
 */
export const TRUTHS = ['level', 'samples'] as const;
export type Truth = (typeof TRUTHS)[number];

const HALF_HOUR_MS = 1_800_000;

/** The series the truth is read from (see Truth). */
export function truthSeries(s: Scenario, truth: Truth): Float64Array {
  const n = s.values.length;
  if (truth === 'level' && s.level) {
    return s.level;
  }
  const out = new Float64Array(n);
  let from = 0;
  let to = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    // Window [from, to): trailing 3 samples, or the samples within half an hour either side.
    const lo = truth === 'samples' ? Math.max(0, i - 2) : 0;
    while (to < n && (truth === 'samples' ? to <= i : s.timestamps[to] <= s.timestamps[i] + HALF_HOUR_MS)) {
      sum += s.values[to++];
    }
    while (from < lo || (truth === 'level' && s.timestamps[from] < s.timestamps[i] - HALF_HOUR_MS)) {
      sum -= s.values[from++];
    }
    out[i] = sum / (to - from);
  }
  return out;
}

/** For each cut time: seconds until the truth series is first beyond its limit, or null ('beyond': it is already). */
export function trueCrossings(s: Scenario, cuts: number[], truth: Truth = 'level'): Array<number | null | 'beyond'> {
  const beyond = (v: number) => (s.direction === 'above' ? v >= s.limit : v <= s.limit);
  const n = s.values.length;
  const smooth = truthSeries(s, truth);
  // Index of the first crossing at or after each sample.
  const next = new Int32Array(n + 1).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    next[i] = beyond(smooth[i]) ? i : next[i + 1];
  }
  let i = 0;
  return cuts.map((c) => {
    while (i + 1 < n && s.timestamps[i + 1] <= c) {
      i++;
    }
    if (beyond(smooth[i])) {
      return 'beyond';
    }
    const j = next[i + 1] ?? -1;
    return j < 0 ? null : (s.timestamps[j] - c) / 1000;
  });
}

export interface MethodScore {
  /** Median and 90th percentile relative error of the crossing time per horizon (no prediction: 100%). */
  error: Record<number, { median: number; p90: number; n: number }>;
  coverage80: number;
  coverage95: number;
  coverageN: number;
  /** Runs of consecutive hourly cut points predicting a crossing within 24 h that does not come within 48 h. */
  falsePredictions: number;
  seriesWeeks: number;
}

export interface Accumulator {
  errors: Record<number, number[]>;
  covered80: number;
  covered95: number;
  coverageN: number;
  falseRuns: number;
  hours: number;
}

export function newAccumulator(): Accumulator {
  return { errors: { 1: [], 4: [], 24: [] }, covered80: 0, covered95: 0, coverageN: 0, falseRuns: 0, hours: 0 };
}

/**
 * Adds one series' cut points. `soonest` is what an alert would use: the lower bound where the
 * method has one, else its estimate. `dataEnd` bounds the 48 h look-ahead: later cut points cannot
 * be judged for false predictions.
 */
export function accumulate(
  acc: Accumulator,
  cuts: number[],
  truth: Array<number | null | 'beyond'>,
  answers: Array<Answer | null>,
  dataEnd: number
): void {
  let inFalseRun = false;
  cuts.forEach((c, k) => {
    const truthS = truth[k];
    const a = answers[k];
    if (truthS === 'beyond') {
      inFalseRun = false;
      return;
    }
    acc.hours++;
    for (const h of HORIZONS_H) {
      if (truthS !== null && Math.abs(truthS - h * HOUR_S) <= BIN * h * HOUR_S) {
        const err = a && Number.isFinite(a.seconds) ? Math.abs(a.seconds - truthS) / truthS : 1;
        acc.errors[h].push(err);
      }
    }
    if (truthS !== null && truthS <= 48 * HOUR_S && a && Number.isFinite(a.seconds) && a.lower95 !== undefined) {
      acc.coverageN++;
      acc.covered80 += a.lower80! <= truthS && truthS <= a.upper80! ? 1 : 0;
      acc.covered95 += a.lower95 <= truthS && truthS <= a.upper95! ? 1 : 0;
    }
    const soonest = a ? (a.lower95 ?? a.seconds) : Infinity;
    const judged = c + 48 * HOUR_S * 1000 <= dataEnd || truthS !== null;
    const isFalse = judged && soonest <= 24 * HOUR_S && (truthS === null || truthS > 48 * HOUR_S);
    if (isFalse && !inFalseRun) {
      acc.falseRuns++;
    }
    inFalseRun = isFalse;
  });
}

export function score(acc: Accumulator): MethodScore {
  const error: MethodScore['error'] = {};
  for (const h of HORIZONS_H) {
    const xs = [...acc.errors[h]].sort((a, b) => a - b);
    const q = (p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
    error[h] = { median: q(0.5), p90: q(0.9), n: xs.length };
  }
  return {
    error,
    coverage80: acc.coverageN ? acc.covered80 / acc.coverageN : NaN,
    coverage95: acc.coverageN ? acc.covered95 / acc.coverageN : NaN,
    coverageN: acc.coverageN,
    falsePredictions: acc.hours ? acc.falseRuns / (acc.hours / 168) : NaN,
    seriesWeeks: acc.hours / 168,
  };
}
