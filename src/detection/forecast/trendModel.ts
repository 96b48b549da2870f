/**
 * Which trend model a crossing forecaster's history supports: a line since the last reset, the
 * daily rhythm plus its drift, or none (the rules are CrossingForecaster's comment).
 */
import type { BucketHistory } from './buckets';
import { harmonicFit } from './harmonic';
import { backWithinLeftLevels, highestSince } from './levels';
import { Scratch } from './scratch';
import { dailyDrift, driftScratch } from './seasonal';
import { DAY_MS, lineFit, MIN_WINDOW_MS, significantLine, windowStart, type LineFit } from './trend';

/** Why no crossing is predicted (for the API and the logs). */
export type NoCrossingReason =
  'too little history' | 'no significant trend' | 'beyond the horizon its history supports';

/** The signed value expected `h` ms after the last sample, with its standard error. */
export type Path = (h: number) => { mean: number; sd: number };

/** The model the data supports: its path, how far that path may be followed, and the reset it starts after (0: none kept). */
export interface TrendModel {
  path: Path;
  reachMs: number;
  resetMs: number;
}

/** Where the day-ago and the week-ago drifts write their pairs, and the day-ago changes negated (see Scratch). */
const DAILY = driftScratch();
const WEEKLY = driftScratch();
const NEGATED_DIFFS = new Scratch();

/** The day-ago changes negated, in NEGATED_DIFFS. */
function negated(diffs: Float64Array): Float64Array {
  const out = NEGATED_DIFFS.view(diffs.length);
  for (let i = 0; i < diffs.length; i++) {
    out[i] = -diffs[i];
  }
  return out;
}

/**
 * The trend model the signed history `y` (times `t`, read from `history` in the sense `sign`)
 * supports, resets being the indices just after each; or why none (see CrossingForecaster).
 */
export function trendModel(
  history: BucketHistory,
  significance: number,
  horizonMs: number,
  sign: number,
  t: Float64Array,
  y: Float64Array,
  resets: Float64Array
): TrendModel | NoCrossingReason {
  if (y.length < 4 || history.historyMs < MIN_WINDOW_MS) {
    return 'too little history';
  }
  const now = history.lastMs;
  const since = resets.length > 0 ? resets[resets.length - 1] : 0;
  // A reset at the same hour as one a day earlier (a nightly clean-up, a daily restart) is part of
  // the daily rhythm: the day-ago comparison then spans it rather than waiting for a clean day.
  let dailyReset = false;
  for (let i = 0; i < resets.length && !dailyReset; i++) {
    dailyReset = Math.abs(t[since] - t[resets[i]] - DAY_MS) <= 1.5 * history.bucketMs;
  }
  const daily = dailyDrift(DAILY, history, sign, t, y, dailyReset ? -Infinity : t[since]);
  // With a week behind it, the change against a week ago too (from four hours of pairs on, as the
  // history kept ends there): a weekly rhythm's rising days, which a day-ago comparison takes for
  // a leak, even a speeding one, have none.
  const weekly = dailyDrift(WEEKLY, history, sign, t, y, t[since], 7 * DAY_MS, 2 * MIN_WINDOW_MS);
  if (weekly && !(weekly.slope > significance * weekly.slopeErr)) {
    return 'no significant trend';
  }
  // A leak that speeds up (or began today) shows as a trend in the change against a day ago,
  // which a daily rhythm does not have (fitted over six hours at least: shorter fits of these
  // noisier differences find trends in a plain daily cycle).
  const speeding = daily ? significantLine(daily.diffT, daily.diffs, 0, now, 3 * MIN_WINDOW_MS, significance) : null;
  // ... and one that slows down shows as a falling trend in it (the rising half of a longer
  // rhythm past its steepest point): followed the same way, or a steady line would overshoot.
  const slowing =
    daily && !speeding
      ? significantLine(daily.diffT, negated(daily.diffs), 0, now, 3 * MIN_WINDOW_MS, significance)
      : null;
  const dayTrend = slowing ? { ...slowing, slope: -slowing.slope } : speeding;
  if (daily && !(daily.slope > significance * daily.slopeErr)) {
    return 'no significant trend';
  }
  if (backWithinLeftLevels(t, y, since, now)) {
    return 'no significant trend';
  }
  const dayAgo = history.interpolated(sign, now - DAY_MS);
  let seasonal: Path | null = null;
  const steady = !dayTrend;
  if (daily && dayAgo !== null && daily.rhythm > 4 * daily.noiseVar && steady) {
    // The daily rhythm is strong and the trend steady: a line plus the rhythm's Fourier terms
    // over up to two days since the last reset, whose level and shape every bucket informs.
    const twoDaysStart = now - 2 * DAY_MS;
    const from = windowStart(t, since, twoDaysStart);
    const fit = harmonicFit(t, y, from, DAY_MS, 2);
    if (fit) {
      seasonal = (h) => fit.at(now + h);
    }
  }
  if (!seasonal && daily && dayAgo !== null && daily.rhythm > 4 * daily.noiseVar) {
    // The daily rhythm is strong: from the current level (a line over the last hours), the shape
    // of the last day from the same phase on, plus the daily drift for each further day.
    const recentStart = now - MIN_WINDOW_MS;
    const recent = lineFit(t, y, windowStart(t, since, recentStart), now);
    if (recent) {
      seasonal = (h) => {
        const days = Math.max(1, Math.ceil(h / DAY_MS));
        const shape = history.interpolated(sign, now + h - days * DAY_MS) ?? dayAgo;
        const drift = (days - 1) * DAY_MS;
        return {
          mean: recent.level + shape - dayAgo + daily.slope * drift,
          sd: Math.sqrt(recent.levelVar + 3 * daily.noiseVar + (daily.slopeErr * drift) ** 2),
        };
      };
    }
  }
  const pathOf =
    (fit: LineFit): Path =>
    (h) => ({
      mean: fit.level + fit.slope * h,
      sd: Math.sqrt(fit.levelVar + fit.residualVar + (fit.slopeErr * h) ** 2),
    });
  let path: Path;
  if (seasonal) {
    path = seasonal;
  } else {
    // Without a day-ago comparison the trend is fitted over a day at least (as much as there is):
    // a shorter window cannot tell a leak from the rise of the daily rhythm.
    const minWindow = daily ? MIN_WINDOW_MS : Math.max(MIN_WINDOW_MS, Math.min(DAY_MS, now - t[since]));
    const fit = significantLine(t, y, since, now, minWindow, significance);
    if (!fit) {
      return 'no significant trend';
    }
    if (!daily && fit.level <= highestSince(y, t, now)) {
      // Without a day-ago comparison, a rise back into the range of the past day (a morning, a
      // busy hour) is no sign of a leak: only a level not seen for a day is.
      return 'no significant trend';
    }
    path = pathOf(fit);
  }
  // Without a day-ago comparison, half the history: a daily rise could still turn.
  const reach = Math.min(horizonMs, daily ? now - t[since] : (now - t[since]) / 2);
  if (seasonal && dayTrend) {
    // The change against a day ago is growing (a leak speeding up, or one that began today):
    // yesterday's shape plus today's change, plus that growth. A line over the raw series would
    // take the rhythm's morning rise for a leak.
    const base = seasonal;
    path = (h) => {
      const p = base(h);
      return { mean: p.mean + dayTrend.slope * h, sd: Math.hypot(p.sd, dayTrend.slopeErr * h) };
    };
  }
  return { path, reachMs: reach, resetMs: resets.length > 0 ? t[since] : 0 };
}
