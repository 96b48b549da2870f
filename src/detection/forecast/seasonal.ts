/** The daily (or weekly) rhythm as the crossing forecaster sees it: the change against the same hour a period earlier. */
import type { BucketHistory } from './buckets';
import { autocorrelationInflation, DAY_MS, lineFit } from './trend';

/** The drift against a period ago, its error, and what the rhythm and the noise add. */
export interface PeriodDrift {
  /** Per ms. */
  slope: number;
  slopeErr: number;
  rhythm: number;
  noiseVar: number;
  diffT: number[];
  diffs: number[];
}

/**
 * The change against the same hour a period (default a day) earlier over the last day, as a slope
 * with its error; `rhythm` is the variance the daily cycle adds (what a straight line cannot
 * explain), `noiseVar` one bucket's noise. Null without a period and `pairsMs` of history (a day
 * by default, so the day-ago comparison spans a whole daily rhythm), or that long since the last reset.
 */
export function dailyDrift(
  history: BucketHistory,
  sign: number,
  t: number[],
  y: number[],
  sinceMs: number,
  dayMs = DAY_MS,
  pairsMs = DAY_MS
): PeriodDrift | null {
  const now = history.lastMs;
  if (history.historyMs < dayMs + pairsMs) {
    return null;
  }
  const diffs: number[] = [];
  const diffT: number[] = [];
  // Computed once: an imported constant read in a loop is a getter call once bundled as CommonJS.
  const dayStart = now - DAY_MS;
  for (let i = 0; i < t.length; i++) {
    // Pairs straddling a reset compare two different regimes: only pairs after the last one count.
    if (t[i] < dayStart || t[i] - dayMs < sinceMs) {
      continue;
    }
    const before = history.valueAt(sign, t[i] - dayMs);
    if (before !== null) {
      diffs.push(y[i] - before);
      diffT.push(t[i]);
    }
  }
  if (diffs.length < 8) {
    return null;
  }
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  // The noise is what remains around the diffs' own line: a leak that speeds up is not noise.
  const c = (diffs.length - 1) / 2;
  const tilt = diffs.reduce((a, d, i) => a + (i - c) * d, 0) / diffs.reduce((a, _, i) => a + (i - c) ** 2, 0);
  const resid = diffs.map((d, i) => d - mean - tilt * (i - c));
  const variance = resid.reduce((a, r) => a + r * r, 0) / (diffs.length - 1);
  const inflation = autocorrelationInflation(resid);
  const twoDaysStart = now - 2 * DAY_MS;
  const dayFit = lineFit(
    t,
    y,
    t.findIndex((x) => x >= twoDaysStart),
    now
  );
  return {
    slope: mean / dayMs,
    slopeErr: Math.sqrt((variance * inflation) / diffs.length) / dayMs,
    rhythm: dayFit ? dayFit.residualVar : 0,
    noiseVar: variance / 2,
    diffT,
    diffs,
  };
}
