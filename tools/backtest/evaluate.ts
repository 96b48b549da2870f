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

/** For each cut time: seconds until the series (a 3-sample trailing mean) is first beyond its limit, or null. */
export function trueCrossings(s: Scenario, cuts: number[]): Array<number | null | 'beyond'> {
  const beyond = (v: number) => (s.direction === 'above' ? v >= s.limit : v <= s.limit);
  const n = s.values.length;
  const smooth = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const from = Math.max(0, i - 2);
    let sum = 0;
    for (let j = from; j <= i; j++) {
      sum += s.values[j];
    }
    smooth[i] = sum / (i - from + 1);
  }
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
