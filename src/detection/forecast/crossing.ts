import { z } from 'zod';
import { BucketHistory, type BucketHistoryState } from './buckets';
import { harmonicFit } from './harmonic';
import { HorizonCalibration, type CalibrationState } from './interval';
import { dailyDrift } from './seasonal';
import type { CrossingEstimate, LimitDirection } from './types';
import { backWithinLeftLevels, highestSince } from './levels';
import {
  breaks,
  DAY_MS,
  firstCrossing,
  lineFit,
  MIN_WINDOW_MS,
  normalQuantile,
  quadraticFit,
  significantLine,
  type LineFit,
} from './trend';

/** Plain JSON snapshot of a CrossingForecaster. Version 1 (history only) is migrated on restore. */
export interface CrossingForecasterState {
  format: 'failureprophet.crossing';
  version: 2;
  options: Required<CrossingOptions>;
  history: BucketHistoryState;
  calibration: CalibrationState;
}

const crossingOptionsSchema = z.object({
  /** Width of the buckets the history is averaged into (default 30 min). */
  bucketMs: z.number().positive().optional(),
  /** History kept (default 8 days: a day-ago comparison over a day, and room for a week). */
  retainMs: z.number().positive().optional(),
  /** Farthest crossing reported (default 7 days). */
  horizonMs: z.number().positive().optional(),
  /** How many standard errors a trend must stand out by to count (default 3). */
  significance: z.number().positive().optional(),
});
export type CrossingOptions = z.infer<typeof crossingOptionsSchema>;

/** What every snapshot holds before its version says the rest. */
const snapshotSchema = z.object({
  format: z.literal('failureprophet.crossing'),
  version: z.unknown().optional(),
  options: crossingOptionsSchema,
  history: z.unknown().optional(),
  calibration: z.unknown().optional(),
});

/** Why no crossing is predicted (for the API and the logs). */
export type NoCrossingReason =
  'too little history' | 'no significant trend' | 'beyond the horizon its history supports';

/** z of the slow edge of the 80% interval (its 10% quantile). */
const SLOW_EDGE_Z = normalQuantile(0.9);

/** Standard errors by which a bend towards the limit must stand out to widen the interval's early edge. */
const BEND_SIGNIFICANCE = 2;
/** Windows a bend is fitted over, and whether a daily harmonic is fitted beside it. */
const BEND_WINDOWS: ReadonlyArray<[number, boolean]> = [
  [2 * DAY_MS, false],
  [DAY_MS, true],
];

/** The signed value expected `h` ms after the last sample, with its standard error. */
type Path = (h: number) => { mean: number; sd: number };

/** The model the data supports: its path, how far that path may be followed, and the reset it starts after (0: none kept). */
interface TrendModel {
  path: Path;
  reachMs: number;
  resetMs: number;
}

/**
 * Time to failure only when the data supports it. The history is kept as bucket means; a crossing
 * is predicted only if
 * - the trend stands out from the noise: a least-squares slope `significance` standard errors from
 *   zero, its error widened for autocorrelated residuals (the variance factor (1+rho)/(1-rho) of an
 *   AR(1) process), fitted on the window since the last reset (a restart or clean-up: a jump far
 *   beyond the usual change) and shortened to about three times the forecast horizon so an
 *   accelerating leak is followed;
 * - with two days of history, the trend also stands out from the daily rhythm: the change against
 *   the same hour a day earlier (the seasonal difference, Box & Jenkins), averaged over the last
 *   day, is significant in the same direction; a daily cycle's morning rise, or a disk filled and
 *   cleaned every day, has none. When the daily rhythm dominates the local line, the path is the
 *   last day repeated plus that daily drift (seasonal naive with drift, Hyndman & Athanasopoulos),
 *   plus the trend of the day-ago change when it has one (a leak speeding up, or a rise slowing
 *   down: the rising half of a longer rhythm past its steepest point); before two days, the trend
 *   is fitted over a day at least and must reach a level not seen for a day;
 * - the day's mean is higher than every day's mean since the last reset: a rise back into levels
 *   the series has already been in and left (a weekly rhythm's rising days before a week-ago
 *   comparison exists) is no leak;
 * - with a week of history, the change against a week ago is significant too (a weekly rhythm's
 *   rising days look like a speeding leak to the day-ago comparison);
 * - the crossing is no farther than the history behind it (half of it before a day-ago comparison
 *   is possible), so six minutes never support a five-hour forecast.
 * The interval is where the path plus the conformal quantiles of its own out-of-sample errors
 * (interval.ts; the normal quantile until a horizon has enough of them), in units of the standard
 * error of level, slope and bucket noise, first crosses, its early edge reaching back to where a
 * significant bend since the last reset meets the limit (bentCrossing: a leak speeding up); its
 * coverage is measured by `npm run backtest`.
 */
export class CrossingForecaster {
  private readonly bucketMs: number;
  private readonly retainMs: number;
  private readonly horizonMs: number;
  private readonly significance: number;
  private readonly buckets: BucketHistory;
  private calibration = new HorizonCalibration();

  constructor(options: CrossingOptions = {}) {
    this.bucketMs = options.bucketMs ?? 30 * 60_000;
    this.retainMs = options.retainMs ?? 8 * 86_400_000;
    this.horizonMs = options.horizonMs ?? 7 * 86_400_000;
    this.significance = options.significance ?? 3;
    this.buckets = new BucketHistory(this.bucketMs, this.retainMs);
  }

  /** Time the history behind the forecast covers, in ms (0 before two samples). */
  get historyMs(): number {
    return this.buckets.historyMs;
  }

  /** Out-of-sample errors kept per calibration horizon (see interval.ts). */
  get calibrationCounts(): number[] {
    return this.calibration.counts;
  }

  /** Feeds one sample; NaN and out-of-order samples are ignored. Each sealed bucket scores and makes forecasts. */
  update(timestampMs: number, value: number): void {
    const sealed = this.buckets.update(timestampMs, value);
    if (sealed === null) {
      return;
    }
    const { t, y } = this.buckets.series(1);
    const resets = breaks(y);
    const resetMs = resets.length > 0 ? t[resets[resets.length - 1]] : 0;
    let made: { sign: number; model: TrendModel } | null = null;
    for (const sign of [1, -1]) {
      const model = this.model(sign, t, sign === 1 ? y : y.map((v) => -v), resets);
      if (typeof model !== 'string') {
        made = { sign, model };
        break;
      }
    }
    const now = this.buckets.lastMs;
    this.calibration.observe(
      sealed,
      this.buckets.valueAt(1, sealed * this.bucketMs),
      resetMs,
      made?.sign ?? 1,
      made ? (k) => made.model.path((k + 0.5) * this.bucketMs - now) : null
    );
  }

  /**
   * When the series is expected to cross `limit` going `direction`, with the interval of the given
   * coverage (0.8, 0.9, 0.95...); a reason instead when the data does not support a prediction.
   */
  crossing(limit: number, direction: LimitDirection, coverage = 0.9): CrossingEstimate | NoCrossingReason {
    const sign = direction === 'above' ? 1 : -1;
    const { t, y } = this.buckets.series(sign);
    const target = sign * limit;
    const now = this.buckets.lastMs;
    const crossed = { seconds: 0, lowerSeconds: 0, upperSeconds: 0, method: 'trend' as const, fromMs: now };
    // The filling bucket counts: a clean-up in its first sample must not be fitted as the end of a
    // rise (its mean over fewer samples is noisier, but a reset is a jump of many spreads).
    const model = this.model(sign, t, y, breaks(y));
    if (typeof model === 'string') {
      return y.length >= 4 && this.historyMs >= MIN_WINDOW_MS && y[y.length - 1] >= target ? crossed : model;
    }
    // With a trend, the level has crossed when the model's level has: one noisy sample over the
    // limit (the filling bucket may hold only that one) is not the series at its limit.
    if (model.path(0).mean >= target) {
      return crossed;
    }
    const { path, reachMs } = model;
    const best = firstCrossing((h) => path(h).mean >= target, reachMs, this.bucketMs);
    if (best === Infinity) {
      return 'beyond the horizon its history supports';
    }
    const z = normalQuantile(0.5 + coverage / 2);
    const edge = (h: number, p: number, fallback: number): number => {
      const at = path(h);
      return at.mean + (this.calibration.quantile(h / this.bucketMs, p, sign) ?? fallback) * at.sd;
    };
    // The crossing is established only when even the slow edge of the 80% interval comes within
    // the horizon: a trend whose interval stays open (a rise that may well turn) is no prediction.
    if (firstCrossing((h) => edge(h, 0.1, -SLOW_EDGE_Z) >= target, this.horizonMs, this.bucketMs) === Infinity) {
      return 'no significant trend';
    }
    const lower = Math.min(
      firstCrossing((h) => edge(h, 0.5 + coverage / 2, z) >= target, best, this.bucketMs),
      this.bentCrossing(t, y, target, model.resetMs, best)
    );
    const upper = firstCrossing((h) => edge(h, 0.5 - coverage / 2, -z) >= target, this.horizonMs, this.bucketMs);
    return {
      seconds: best / 1000,
      lowerSeconds: Math.min(lower, best) / 1000,
      upperSeconds: upper === Infinity ? Infinity : Math.max(upper, best) / 1000,
      method: 'trend',
      fromMs: now,
    };
  }

  /** The trend model the signed history `y` supports (resets: indices just after each), or why none. */
  private model(sign: number, t: number[], y: number[], resets: number[]): TrendModel | NoCrossingReason {
    if (y.length < 4 || this.historyMs < MIN_WINDOW_MS) {
      return 'too little history';
    }
    const now = this.buckets.lastMs;
    const since = resets.length > 0 ? resets[resets.length - 1] : 0;
    // A reset at the same hour as one a day earlier (a nightly clean-up, a daily restart) is part of
    // the daily rhythm: the day-ago comparison then spans it rather than waiting for a clean day.
    const dailyReset = resets.some((r) => Math.abs(t[since] - t[r] - DAY_MS) <= 1.5 * this.bucketMs);
    const daily = dailyDrift(this.buckets, sign, t, y, dailyReset ? -Infinity : t[since]);
    // With a week behind it, the change against a week ago too (from four hours of pairs on, as the
    // history kept ends there): a weekly rhythm's rising days, which a day-ago comparison takes for
    // a leak, even a speeding one, have none.
    const weekly = dailyDrift(this.buckets, sign, t, y, t[since], 7 * DAY_MS, 2 * MIN_WINDOW_MS);
    if (weekly && !(weekly.slope > this.significance * weekly.slopeErr)) {
      return 'no significant trend';
    }
    // A leak that speeds up (or began today) shows as a trend in the change against a day ago,
    // which a daily rhythm does not have (fitted over six hours at least: shorter fits of these
    // noisier differences find trends in a plain daily cycle).
    const speeding = daily
      ? significantLine(daily.diffT, daily.diffs, 0, now, 3 * MIN_WINDOW_MS, this.significance)
      : null;
    // ... and one that slows down shows as a falling trend in it (the rising half of a longer
    // rhythm past its steepest point): followed the same way, or a steady line would overshoot.
    const slowing =
      daily && !speeding
        ? significantLine(
            daily.diffT,
            daily.diffs.map((d) => -d),
            0,
            now,
            3 * MIN_WINDOW_MS,
            this.significance
          )
        : null;
    const dayTrend = slowing ? { ...slowing, slope: -slowing.slope } : speeding;
    if (daily && !(daily.slope > this.significance * daily.slopeErr)) {
      return 'no significant trend';
    }
    if (backWithinLeftLevels(t, y, since, now)) {
      return 'no significant trend';
    }
    const dayAgo = this.buckets.interpolated(sign, now - DAY_MS);
    let seasonal: Path | null = null;
    const steady = !dayTrend;
    if (daily && dayAgo !== null && daily.rhythm > 4 * daily.noiseVar && steady) {
      // The daily rhythm is strong and the trend steady: a line plus the rhythm's Fourier terms
      // over up to two days since the last reset, whose level and shape every bucket informs.
      const from = Math.max(
        since,
        t.findIndex((x) => x >= now - 2 * DAY_MS)
      );
      const fit = harmonicFit(t, y, from, DAY_MS, 2);
      if (fit) {
        seasonal = (h) => fit.at(now + h);
      }
    }
    if (!seasonal && daily && dayAgo !== null && daily.rhythm > 4 * daily.noiseVar) {
      // The daily rhythm is strong: from the current level (a line over the last hours), the shape
      // of the last day from the same phase on, plus the daily drift for each further day.
      const recent = lineFit(
        t,
        y,
        Math.max(
          since,
          t.findIndex((x) => x >= now - MIN_WINDOW_MS)
        ),
        now
      );
      if (recent) {
        seasonal = (h) => {
          const days = Math.max(1, Math.ceil(h / DAY_MS));
          const shape = this.buckets.interpolated(sign, now + h - days * DAY_MS) ?? dayAgo;
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
      const fit = significantLine(t, y, since, now, minWindow, this.significance);
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
    const reach = Math.min(this.horizonMs, daily ? now - t[since] : (now - t[since]) / 2);
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

  /**
   * When the series, bending as it has since the last reset, meets the target before `best`: a
   * leak that speeds up crosses before a line through it says, and the line's own errors show that
   * only once the bend has passed. The bend is fitted over two days (a daily rhythm mostly averages
   * out) and over the last day with a daily harmonic beside it (a leak that began since yesterday,
   * which the two days' fit flattens); the earlier crossing of those whose bend towards the target
   * is significant counts. Infinity when none is.
   */
  private bentCrossing(t: number[], y: number[], target: number, resetMs: number, best: number): number {
    const now = this.buckets.lastMs;
    let soonest = Infinity;
    for (const [windowMs, daily] of BEND_WINDOWS) {
      const from = t.findIndex((x) => x >= Math.max(resetMs, now - windowMs));
      const fit = from < 0 ? null : quadraticFit(t, y, from, now, daily);
      if (fit && fit.curvature > BEND_SIGNIFICANCE * fit.curvatureErr) {
        soonest = Math.min(
          soonest,
          firstCrossing((h) => fit.at(h) >= target, best, this.bucketMs)
        );
      }
    }
    return soonest;
  }

  toState(): CrossingForecasterState {
    return {
      format: 'failureprophet.crossing',
      version: 2,
      options: {
        bucketMs: this.bucketMs,
        retainMs: this.retainMs,
        horizonMs: this.horizonMs,
        significance: this.significance,
      },
      history: this.buckets.toState(),
      calibration: this.calibration.toState(),
    };
  }

  /**
   * Resumes from `toState()` output; a version 1 snapshot (history only) is migrated with an empty
   * calibration (normal intervals until errors are known again). Throws a clear Error on anything else.
   */
  static fromState(state: unknown): CrossingForecaster {
    const refuse = (why: string): Error => new Error(`Cannot restore a crossing forecaster from this state: ${why}`);
    const parsed = snapshotSchema.safeParse(state);
    if (!parsed.success) {
      throw refuse('not a failureprophet.crossing snapshot');
    }
    const s = parsed.data;
    const f = new CrossingForecaster(s.options);
    if (s.version === 1) {
      // Version 1 held the history's fields beside the format.
      const problem = f.buckets.restore(state);
      if (problem) {
        throw refuse(problem);
      }
      return f;
    }
    if (s.version !== 2) {
      throw refuse(`version ${String(s.version)} is not one this build reads (1 or 2)`);
    }
    const problem =
      (typeof s.history === 'object' && s.history !== null ? f.buckets.restore(s.history) : 'its history is missing') ??
      f.calibration.restore(s.calibration);
    if (problem) {
      throw refuse(problem);
    }
    return f;
  }
}
