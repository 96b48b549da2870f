import { z } from 'zod';
import { BucketHistory, type BucketHistoryState } from './buckets';
import { HorizonCalibration, type CalibrationState } from './interval';
import { farFromSeen } from './farLimit';
import { breaks } from './resets';
import { Scratch } from './scratch';
import { DAY_MS, firstAtOrAfter, firstCrossing, MIN_WINDOW_MS, normalQuantile, quadraticFit } from './trend';
import { trendModel, type NoCrossingReason, type TrendModel } from './trendModel';
import type { CrossingEstimate, LimitDirection } from './types';

export type { NoCrossingReason } from './trendModel';

/**
 * Plain JSON snapshot of a CrossingForecaster. Versions 1 (history only) and 2 (its bucket means as
 * doubles) are migrated on restore; version 3 keeps them as float32 differences (buckets.ts).
 */
export interface CrossingForecasterState {
  format: 'failureprophet.crossing';
  version: 3;
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

/** z of the slow edge of the 80% interval (its 10% quantile). */
const SLOW_EDGE_Z = normalQuantile(0.9);

/** Standard errors by which a bend towards the limit must stand out to widen the interval's early edge. */
const BEND_SIGNIFICANCE = 2;
/** Windows a bend is fitted over, and whether a daily harmonic is fitted beside it. */
const BEND_WINDOWS: ReadonlyArray<[number, boolean]> = [
  [2 * DAY_MS, false],
  [DAY_MS, true],
];

/**
 * A history as last read, with its resets and the models fitted to it in each sense ([+1, -1]):
 * a sealed bucket's forecasts (update) and the crossing asked right after (the pipeline feeds a
 * sample, then asks) read the same history, so it is read and fitted once. One for all forecasters,
 * not one each: a fleet holds thousands, and a forecaster read again after another is read afresh.
 * Its arrays are the shared scratch series() and breaks() write (valid while it is this one's).
 */
interface LastRead {
  history: BucketHistory | null;
  /** The newest sample's time when read: every sample the history takes moves it on. */
  lastMs: number;
  t: Float64Array;
  y: [Float64Array, Float64Array | undefined];
  resets: Float64Array;
  /** The resets with the newest mean judged as a full bucket's (see Breaks): what update() reads. */
  plainResets: Float64Array;
  models: [TrendModel | NoCrossingReason | undefined, TrendModel | NoCrossingReason | undefined];
}
const lastRead: LastRead = {
  history: null,
  lastMs: NaN,
  t: new Float64Array(0),
  y: [new Float64Array(0), undefined],
  resets: new Float64Array(0),
  plainResets: new Float64Array(0),
  models: [undefined, undefined],
};
/** Where the history read in the sense -1 is written. */
const NEGATED = new Scratch();

/**
 * Time to failure only when the data supports it. The history is kept as bucket means (a bucket
 * of under half a full one's samples, a scrape gap's edge, left out; a bucket that jumps away and
 * straight back, one garbage sample's, left out once the next is back: resets.ts); a crossing is
 * predicted only if
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
    // The forecasts kept for the calibration read the resets as the plain bar finds them: the bar
    // widened for the newest mean (a bucket just begun) serves the answers, while the calibration,
    // and the intervals of every answer after, stay those `npm run backtest` measured.
    const { plainResets: resets, t } = this.lastRead();
    const resetMs = resets.length > 0 ? t[resets[resets.length - 1]] : 0;
    let sign = 1;
    let model = this.modelOf(1, resets);
    if (typeof model === 'string') {
      sign = -1;
      model = this.modelOf(-1, resets);
    }
    const made = typeof model === 'string' ? null : model;
    const now = this.buckets.lastMs;
    this.calibration.observe(
      sealed,
      this.buckets.valueAt(1, sealed * this.bucketMs),
      resetMs,
      made ? sign : 1,
      made ? (k) => made.path((k + 0.5) * this.bucketMs - now) : null
    );
  }

  /**
   * When the series is expected to cross `limit` going `direction`, with the interval of the given
   * coverage (0.8, 0.9, 0.95...); a reason instead when the data does not support a prediction.
   */
  crossing(limit: number, direction: LimitDirection, coverage = 0.9): CrossingEstimate | NoCrossingReason {
    const sign = direction === 'above' ? 1 : -1;
    const t = this.lastRead().t;
    const y = this.signed(sign);
    const target = sign * limit;
    const now = this.buckets.lastMs;
    const crossed = { seconds: 0, lowerSeconds: 0, upperSeconds: 0, method: 'trend' as const, fromMs: now };
    const model = this.modelOf(sign);
    if (typeof model === 'string') {
      return y.length >= 4 && this.historyMs >= MIN_WINDOW_MS && this.level(y) >= target ? crossed : model;
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

  /**
   * The value of its history a limit lies so far beyond that it is likely written in another unit
   * (farLimit.ts), or null. Reads the history in place: its last read and its models stay as they are.
   */
  farFrom(limit: number, direction: LimitDirection): number | null {
    return farFromSeen(limit, direction, this.buckets);
  }

  /**
   * The level the signed history `y` has reached, for "crossed" without a trend: its newest mean,
   * but no higher than the bucket before when the newest is a reset (it jumped there from the
   * history): until the next bucket stays there, one garbage sample (bytes where a ratio was
   * expected) cannot be told from a step, and is most of a filling bucket.
   */
  private level(y: Float64Array): number {
    const n = y.length;
    const resets = this.lastRead().resets;
    const jumped = resets.length > 0 && resets[resets.length - 1] === n - 1;
    return jumped ? Math.min(y[n - 1], y[n - 2]) : y[n - 1];
  }

  /**
   * The signed history as it is now, the filling bucket included (a clean-up in its first sample
   * must not be fitted as the end of a rise: its mean over fewer samples is noisier, but a reset is
   * a jump of many spreads); its resets are the same for either sign.
   */
  private signed(sign: number): Float64Array {
    const last = this.lastRead();
    let y = last.y[sign === 1 ? 0 : 1];
    if (y === undefined) {
      const up = last.y[0];
      y = NEGATED.view(up.length);
      for (let i = 0; i < up.length; i++) {
        // Negated exactly as series(-1) signs each mean.
        y[i] = -up[i];
      }
      last.y[1] = y;
    }
    return y;
  }

  /**
   * The trend model of the history as it is now in the sense `sign` after `resets` (its resets
   * when not given; kept only for those), or why none.
   */
  private modelOf(sign: number, resets?: Float64Array): TrendModel | NoCrossingReason {
    const last = this.lastRead();
    if (resets !== undefined && resets !== last.resets) {
      return trendModel(this.buckets, this.significance, this.horizonMs, sign, last.t, this.signed(sign), resets);
    }
    const k = sign === 1 ? 0 : 1;
    let model = last.models[k];
    if (model === undefined) {
      model = trendModel(this.buckets, this.significance, this.horizonMs, sign, last.t, this.signed(sign), last.resets);
      last.models[k] = model;
    }
    return model;
  }

  /** What lastRead holds for this forecaster's history as it is now, read afresh when it has moved on. */
  private lastRead(): LastRead {
    const now = this.buckets.lastMs;
    const last = lastRead;
    if (last.history !== this.buckets || !Object.is(last.lastMs, now)) {
      let { t, y } = this.buckets.series(1);
      let found = breaks(y, t, this.bucketMs, this.buckets.fillingVarianceRatio);
      if (found.outliers.length > 0) {
        // A bucket that jumped away and straight back is left out for good (a gap): kept, it would
        // be read as a level the series has been in, and a day later as a day-ago change.
        for (const j of found.outliers) {
          this.buckets.drop(Math.floor(t[j] / this.bucketMs));
        }
        ({ t, y } = this.buckets.series(1));
        found = breaks(y, t, this.bucketMs, this.buckets.fillingVarianceRatio);
      }
      last.history = this.buckets;
      last.lastMs = now;
      last.t = t;
      last.y[0] = y;
      last.y[1] = undefined;
      last.resets = found.resets;
      last.plainResets = found.plainResets;
      last.models[0] = undefined;
      last.models[1] = undefined;
    }
    return last;
  }

  /**
   * When the series, bending as it has since the last reset, meets the target before `best`: a
   * leak that speeds up crosses before a line through it says, and the line's own errors show that
   * only once the bend has passed. The bend is fitted over two days (a daily rhythm mostly averages
   * out) and over the last day with a daily harmonic beside it (a leak that began since yesterday,
   * which the two days' fit flattens); the earlier crossing of those whose bend towards the target
   * is significant counts. Infinity when none is.
   */
  private bentCrossing(t: Float64Array, y: Float64Array, target: number, resetMs: number, best: number): number {
    const now = this.buckets.lastMs;
    let soonest = Infinity;
    for (const [windowMs, daily] of BEND_WINDOWS) {
      const from = firstAtOrAfter(t, Math.max(resetMs, now - windowMs));
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
      version: 3,
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
      const problem = f.buckets.restore(state, 'means');
      if (problem) {
        throw refuse(problem);
      }
      return f;
    }
    if (s.version !== 2 && s.version !== 3) {
      throw refuse(`version ${String(s.version)} is not one this build reads (1, 2 or 3)`);
    }
    const problem =
      (typeof s.history === 'object' && s.history !== null
        ? f.buckets.restore(s.history, s.version === 3 ? 'offsets' : 'means')
        : 'its history is missing') ?? f.calibration.restore(s.calibration);
    if (problem) {
      throw refuse(problem);
    }
    return f;
  }
}
