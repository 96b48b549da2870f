/** The daily (or weekly) rhythm as the crossing forecaster sees it: the change against the same hour a period earlier. */
import type { BucketHistory } from './buckets';
import { Scratch } from './scratch';
import { DAY_MS, firstAtOrAfter, inflationOf, lineFit } from './trend';

/** The drift against a period ago, its error, and what the rhythm and the noise add. */
export interface PeriodDrift {
  /** Per ms. */
  slope: number;
  slopeErr: number;
  rhythm: number;
  noiseVar: number;
  /** Views of the caller's DriftScratch: valid until its next use. */
  diffT: Float64Array;
  diffs: Float64Array;
}

/** Where one use of dailyDrift writes its pairs (the day-ago and the week-ago drift are alive at once: one each). */
export interface DriftScratch {
  diffT: Scratch;
  diffs: Scratch;
}

export function driftScratch(): DriftScratch {
  return { diffT: new Scratch(), diffs: new Scratch() };
}

/**
 * The change against the same hour a period (default a day) earlier over the last day, as a slope
 * with its error; `rhythm` is the variance the daily cycle adds (what a straight line cannot
 * explain), `noiseVar` one bucket's noise. Null without a period and `pairsMs` of history (a day
 * by default, so the day-ago comparison spans a whole daily rhythm), or that long since the last reset.
 * The pairs are written into `into`.
 */
export function dailyDrift(
  into: DriftScratch,
  history: BucketHistory,
  sign: number,
  t: ArrayLike<number>,
  y: ArrayLike<number>,
  sinceMs: number,
  dayMs = DAY_MS,
  pairsMs = DAY_MS
): PeriodDrift | null {
  const now = history.lastMs;
  if (history.historyMs < dayMs + pairsMs) {
    return null;
  }
  const diffs = into.diffs.room(t.length);
  const diffT = into.diffT.room(t.length);
  let n = 0;
  // Computed once: an imported constant read in a loop is a getter call once bundled as CommonJS.
  const dayStart = now - DAY_MS;
  for (let i = 0; i < t.length; i++) {
    // Pairs straddling a reset compare two different regimes: only pairs after the last one count.
    if (t[i] < dayStart || t[i] - dayMs < sinceMs) {
      continue;
    }
    const before = history.valueAt(sign, t[i] - dayMs);
    if (before !== null) {
      diffs[n] = y[i] - before;
      diffT[n] = t[i];
      n++;
    }
  }
  if (n < 8) {
    return null;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += diffs[i];
  }
  const mean = sum / n;
  // The noise is what remains around the diffs' own line: a leak that speeds up is not noise.
  const c = (n - 1) / 2;
  let moment = 0;
  let spread = 0;
  for (let i = 0; i < n; i++) {
    moment += (i - c) * diffs[i];
    spread += (i - c) ** 2;
  }
  const tilt = moment / spread;
  // The residuals' squares and lag-1 products in one pass (as autocorrelationInflation sums them).
  let squares = 0;
  let products = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const r = diffs[i] - mean - tilt * (i - c);
    squares += r * r;
    if (i > 0) {
      products += r * prev;
    }
    prev = r;
  }
  const variance = squares / (n - 1);
  const inflation = inflationOf(products, squares);
  const dayFit = lineFit(t, y, firstAtOrAfter(t, now - 2 * DAY_MS), now);
  return {
    slope: mean / dayMs,
    slopeErr: Math.sqrt((variance * inflation) / n) / dayMs,
    rhythm: dayFit ? dayFit.residualVar : 0,
    noiseVar: variance / 2,
    diffT: into.diffT.view(n),
    diffs: into.diffs.view(n),
  };
}
