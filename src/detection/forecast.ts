/**
 * Time to failure: when will a series cross a limit? Holt-Winters with a damped additive trend and
 * additive seasonality (Gardner & McKenzie 1985; Hyndman et al., "Forecasting with exponential
 * smoothing", 2008), run on a regular step grid so that gaps are bridged by the model's own
 * forecast instead of being interpolated. Prometheus' `predict_linear` (least squares over the
 * window) is provided for comparison. Assumes the recent trend and daily shape continue.
 */

/** The side of its limit a signal fails on: rising to it (`above`) or falling to it (`below`). */
export const LIMIT_DIRECTIONS = ['above', 'below'] as const;
export type LimitDirection = (typeof LIMIT_DIRECTIONS)[number];

/** When the limit is expected to be crossed; seconds from the last sample, Infinity if not within the horizon. */
export interface CrossingEstimate {
  /** Best estimate (the backend exports it as failureprophet_time_to_failure_seconds). */
  seconds: number;
  /** Earliest plausible crossing (the pessimistic edge of the 90% band). */
  lowerSeconds: number;
  /** Latest plausible crossing (the optimistic edge; Infinity if the band never crosses). */
  upperSeconds: number;
  method: 'holt-winters' | 'predict_linear' | 'trend';
  /** Timestamp (ms) the estimate is counted from. */
  fromMs: number;
}

/** Plain JSON snapshot of a StreamingForecaster (null stands for NaN). */
export interface ForecasterState {
  format: 'failureprophet.forecaster';
  version: 1;
  options: Required<HoltWintersOptions>;
  season: Array<number | null>;
  scalars: Array<number | null>;
  warm: number[];
}

export interface HoltWintersOptions {
  alpha?: number;
  beta?: number;
  gamma?: number;
  /** Damping of the trend per step (1: undamped; default 0.999, a gentle brake on long horizons). */
  phi?: number;
  /** Season length in ms (default one day); ignored when it is not a whole number of steps >= 2. */
  seasonMs?: number;
  /** Step of the grid in ms; learned from the first samples when not given. */
  stepMs?: number;
  /** Most steps searched ahead for a crossing (default 2016, a week of 5-minute steps). */
  horizonSteps?: number;
  /** Longest season kept, in steps (bounds memory; default 2016). */
  maxSeasonSteps?: number;
}

const Z90 = 1.6448536269514722;
const MS_DAY = 86_400_000;

/** Streaming damped Holt-Winters on a step grid; `timeToLimit` can be asked after any update. */
export class StreamingForecaster {
  private readonly alpha: number;
  private readonly beta: number;
  private readonly gamma: number;
  private readonly phi: number;
  private readonly seasonMs: number;
  private readonly horizon: number;
  private readonly maxSeason: number;
  private stepMs: number;
  private season: Float64Array = new Float64Array(0);
  private level = NaN;
  private trend = 0;
  private gridT = NaN;
  private steps = 0;
  private sse = 0;
  private errors = 0;
  private warm: number[] = [];
  private last = NaN;

  constructor(options: HoltWintersOptions = {}) {
    this.alpha = options.alpha ?? 0.3;
    this.beta = options.beta ?? 0.05;
    this.gamma = options.gamma ?? 0.1;
    this.phi = options.phi ?? 0.999;
    this.seasonMs = options.seasonMs ?? MS_DAY;
    this.stepMs = options.stepMs ?? NaN;
    this.horizon = options.horizonSteps ?? 2016;
    this.maxSeason = options.maxSeasonSteps ?? 2016;
  }

  /** Feeds one sample; NaN and out-of-order samples are ignored. */
  update(timestampMs: number, value: number): void {
    if (!Number.isFinite(value) || timestampMs <= this.gridT || timestampMs <= this.warm[this.warm.length - 1]) {
      return;
    }
    this.last = value;
    if (Number.isNaN(this.level)) {
      this.start(timestampMs, value);
      return;
    }
    // Advance the grid to this sample; missing steps get the model's forecast (no learning).
    const missed = Math.round((timestampMs - this.gridT) / this.stepMs) - 1;
    for (let i = 0; i < Math.min(missed, this.season.length * 2 + 10); i++) {
      this.step(this.forecast(1), false);
    }
    this.step(value, true);
    this.gridT = timestampMs;
  }

  /** Value expected `h` steps ahead of the last step. */
  forecast(h: number): number {
    const damp = this.phi === 1 ? h : (this.phi * (1 - Math.pow(this.phi, h))) / (1 - this.phi);
    const m = this.season.length;
    return this.level + damp * this.trend + (m > 0 ? this.season[(this.steps + h - 1) % m] : 0);
  }

  /** Standard deviation of one-step errors so far. */
  get residualStd(): number {
    return this.errors > 1 ? Math.sqrt(this.sse / (this.errors - 1)) : NaN;
  }

  /** Time until the forecast crosses `limit` going `direction`, with its range (default 90%, z = 1.645). */
  timeToLimit(limit: number, direction: LimitDirection, z = Z90): CrossingEstimate {
    const from = this.gridT;
    const beyond = (v: number): boolean => (direction === 'above' ? v >= limit : v <= limit);
    if (Number.isNaN(this.level) || !(this.stepMs > 0)) {
      return {
        seconds: Infinity,
        lowerSeconds: Infinity,
        upperSeconds: Infinity,
        method: 'holt-winters',
        fromMs: from,
      };
    }
    if (beyond(this.last)) {
      return { seconds: 0, lowerSeconds: 0, upperSeconds: 0, method: 'holt-winters', fromMs: from };
    }
    const sigma = Number.isNaN(this.residualStd) ? 0 : this.residualStd;
    const sign = direction === 'above' ? 1 : -1;
    let best = Infinity;
    let early = Infinity;
    let late = Infinity;
    // Variance of the h-step error of damped Holt: sigma^2 (1 + sum_j c_j^2), c_j = alpha (1 + beta sum_i phi^i).
    let varSum = 1;
    let phiSum = 0;
    for (let h = 1; h <= this.horizon; h++) {
      const y = this.forecast(h);
      const spread = z * sigma * Math.sqrt(varSum);
      if (early === Infinity && beyond(y + sign * spread)) {
        early = h;
      }
      if (best === Infinity && beyond(y)) {
        best = h;
      }
      if (late === Infinity && beyond(y - sign * spread)) {
        late = h;
        break;
      }
      phiSum += Math.pow(this.phi, h);
      const c = this.alpha * (1 + this.beta * phiSum);
      varSum += c * c;
    }
    const sec = (h: number): number => (h === Infinity ? Infinity : (h * this.stepMs) / 1000);
    return {
      seconds: sec(best),
      lowerSeconds: sec(early),
      upperSeconds: sec(late),
      method: 'holt-winters',
      fromMs: from,
    };
  }

  toState(): ForecasterState {
    const n = (x: number): number | null => (Number.isNaN(x) ? null : x);
    return {
      format: 'failureprophet.forecaster',
      version: 1,
      options: {
        alpha: this.alpha,
        beta: this.beta,
        gamma: this.gamma,
        phi: this.phi,
        seasonMs: this.seasonMs,
        stepMs: this.stepMs,
        horizonSteps: this.horizon,
        maxSeasonSteps: this.maxSeason,
      },
      season: Array.from(this.season, n),
      scalars: [this.stepMs, this.level, this.trend, this.gridT, this.steps, this.sse, this.errors, this.last].map(n),
      warm: [...this.warm],
    };
  }

  /** Resumes from `toState()` output; throws a clear Error on anything else. */
  static fromState(state: unknown): StreamingForecaster {
    const s = state as ForecasterState;
    if (
      typeof s !== 'object' ||
      s === null ||
      s.format !== 'failureprophet.forecaster' ||
      s.version !== 1 ||
      !Array.isArray(s.scalars) ||
      s.scalars.length !== 8
    ) {
      throw new Error(
        'Cannot restore a forecaster from this state: not a failureprophet.forecaster version 1 snapshot'
      );
    }
    const f = new StreamingForecaster({ ...s.options, stepMs: s.options.stepMs ?? undefined });
    const [stepMs, level, trend, gridT, steps, sse, errors, last] = s.scalars.map((x) => (x === null ? NaN : x));
    Object.assign(f, { stepMs, level, trend, gridT, steps, sse, errors, last, warm: [...s.warm] });
    f.season = Float64Array.from(s.season, (x) => (x === null ? NaN : x));
    return f;
  }

  private start(timestampMs: number, value: number): void {
    this.warm.push(timestampMs);
    if (Number.isNaN(this.stepMs)) {
      if (this.warm.length < 2) {
        return;
      }
      this.stepMs = this.warm[1] - this.warm[0];
    }
    const m = Math.round(this.seasonMs / this.stepMs);
    this.season =
      m >= 2 && m <= this.maxSeason && Math.abs(m * this.stepMs - this.seasonMs) < this.stepMs / 2
        ? new Float64Array(m)
        : new Float64Array(0);
    this.level = value;
    this.gridT = timestampMs;
    this.warm = [];
  }

  private step(value: number, learn: boolean): void {
    const m = this.season.length;
    const si = m > 0 ? this.steps % m : 0;
    const s = m > 0 ? this.season[si] : 0;
    const predicted = this.level + this.phi * this.trend + s;
    if (learn && this.steps > m) {
      const e = value - predicted;
      this.sse += e * e;
      this.errors++;
    }
    const prevLevel = this.level;
    this.level = this.alpha * (value - s) + (1 - this.alpha) * (prevLevel + this.phi * this.trend);
    this.trend = this.beta * (this.level - prevLevel) + (1 - this.beta) * this.phi * this.trend;
    if (m > 0) {
      this.season[si] = this.gamma * (value - this.level) + (1 - this.gamma) * s;
    }
    this.steps++;
  }
}

/**
 * Batch forecast of a whole series: picks alpha, beta and phi on a small grid by one-step error,
 * then asks the fitted model when `limit` is crossed.
 */
export function forecastTimeToLimit(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>,
  limit: number,
  direction: LimitDirection,
  options: HoltWintersOptions = {}
): CrossingEstimate {
  let best: StreamingForecaster | null = null;
  let bestErr = Infinity;
  for (const alpha of [0.1, 0.3, 0.6]) {
    for (const beta of [0.01, 0.05, 0.2]) {
      for (const phi of [0.98, 0.995, 1]) {
        const f = new StreamingForecaster({ ...options, alpha, beta, phi });
        for (let i = 0; i < values.length; i++) {
          f.update(timestampsMs[i], values[i]);
        }
        const err = f.residualStd;
        if (best === null || err < bestErr) {
          best = f;
          bestErr = err;
        }
      }
    }
  }
  return (best as StreamingForecaster).timeToLimit(limit, direction);
}

/** PromQL's predict_linear: least-squares line through the samples, evaluated `secondsAhead` after the last one. */
export function predictLinear(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>,
  secondsAhead: number
): number {
  const fit = leastSquares(timestampsMs, values);
  return fit.intercept + fit.slope * secondsAhead;
}

/** Time to limit by the least-squares line (the predict_linear way), with the 90% slope range. */
export function linearTimeToLimit(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>,
  limit: number,
  direction: LimitDirection
): CrossingEstimate {
  const fit = leastSquares(timestampsMs, values);
  const sign = direction === 'above' ? 1 : -1;
  const gap = sign * (limit - fit.intercept);
  const at = (slope: number): number => (gap <= 0 ? 0 : sign * slope > 0 ? gap / (sign * slope) : Infinity);
  return {
    seconds: at(fit.slope),
    lowerSeconds: at(fit.slope + sign * Z90 * fit.slopeStdErr),
    upperSeconds: at(fit.slope - sign * Z90 * fit.slopeStdErr),
    method: 'predict_linear',
    fromMs: fit.lastMs,
  };
}

/** Least squares of value on time in seconds; intercept is the fitted value at the last sample. */
function leastSquares(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>
): { slope: number; intercept: number; slopeStdErr: number; lastMs: number } {
  let n = 0;
  let lastMs = NaN;
  let sumT = 0;
  let sumV = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      n++;
      sumT += timestampsMs[i] / 1000;
      sumV += values[i];
      lastMs = timestampsMs[i];
    }
  }
  if (n < 2) {
    return { slope: NaN, intercept: n === 1 ? sumV : NaN, slopeStdErr: NaN, lastMs };
  }
  const meanT = sumT / n;
  const meanV = sumV / n;
  let stt = 0;
  let stv = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      const dt = timestampsMs[i] / 1000 - meanT;
      stt += dt * dt;
      stv += dt * (values[i] - meanV);
    }
  }
  const slope = stt > 0 ? stv / stt : 0;
  let sse = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      const e = values[i] - (meanV + slope * (timestampsMs[i] / 1000 - meanT));
      sse += e * e;
    }
  }
  const slopeStdErr = n > 2 && stt > 0 ? Math.sqrt(sse / (n - 2) / stt) : 0;
  return { slope, intercept: meanV + slope * (lastMs / 1000 - meanT), slopeStdErr, lastMs };
}

/** Plain JSON snapshot of a CrossingForecaster (null stands for an empty bucket). */
export interface CrossingForecasterState {
  format: 'failureprophet.crossing';
  version: 1;
  options: Required<CrossingOptions>;
  firstMs: number | null;
  lastMs: number | null;
  /** Absolute index (time / bucketMs) of the newest bucket. */
  newest: number | null;
  /** Mean per bucket, ring-indexed by absolute index modulo the ring length. */
  means: Array<number | null>;
  /** Sum, count and sum of timestamps of the newest (still filling) bucket. */
  partial: [number, number, number];
}

export interface CrossingOptions {
  /** Width of the buckets the history is averaged into (default 30 min). */
  bucketMs?: number;
  /** History kept (default 8 days: a day-ago comparison over a day, and room for a week). */
  retainMs?: number;
  /** Farthest crossing reported (default 7 days). */
  horizonMs?: number;
  /** How many standard errors a trend must stand out by to count (default 3). */
  significance?: number;
}

/** Why no crossing is predicted (for the API and the logs). */
export type NoCrossingReason =
  'too little history' | 'no significant trend' | 'beyond the horizon its history supports';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Shortest window a trend is fitted on. */
const MIN_WINDOW_MS = 2 * HOUR_MS;
/** A jump this many robust spreads beyond the usual bucket-to-bucket change is a reset, not a trend. */
const BREAK_SPREADS = 8;

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
 *   plus the trend of the day-ago change when it has one (a leak speeding up); before two days,
 *   the trend is fitted over a day at least and must reach a level not seen for a day;
 * - with a week of history, the change against a week ago is significant too (a weekly rhythm's
 *   rising days look like a speeding leak to the day-ago comparison);
 * - the crossing is no farther than the history behind it (half of it before a day-ago comparison
 *   is possible), so six minutes never support a five-hour forecast.
 * The interval is where the path +/- z standard errors of the level, slope and bucket noise first
 * crosses; its coverage is measured by `npm run backtest`.
 */
export class CrossingForecaster {
  private readonly bucketMs: number;
  private readonly retainMs: number;
  private readonly horizonMs: number;
  private readonly significance: number;
  private means: Float64Array;
  private firstMs = NaN;
  private lastMs = NaN;
  private newest = NaN;
  private partial: [number, number, number] = [0, 0, 0];

  constructor(options: CrossingOptions = {}) {
    this.bucketMs = options.bucketMs ?? 30 * 60_000;
    this.retainMs = options.retainMs ?? 8 * 86_400_000;
    this.horizonMs = options.horizonMs ?? 7 * 86_400_000;
    this.significance = options.significance ?? 3;
    if (!(this.bucketMs > 0) || !(this.retainMs >= this.bucketMs)) {
      throw new Error('a crossing forecaster needs bucketMs > 0 and retainMs >= bucketMs');
    }
    this.means = new Float64Array(Math.ceil(this.retainMs / this.bucketMs)).fill(NaN);
  }

  /** Time the history behind the forecast covers, in ms (0 before two samples). */
  get historyMs(): number {
    return Number.isNaN(this.firstMs) ? 0 : this.lastMs - this.firstMs;
  }

  /** Feeds one sample; NaN and out-of-order samples are ignored. */
  update(timestampMs: number, value: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs) || timestampMs <= this.lastMs) {
      return;
    }
    const k = Math.floor(timestampMs / this.bucketMs);
    if (Number.isNaN(this.newest)) {
      this.firstMs = timestampMs;
      this.newest = k;
    } else if (k > this.newest) {
      this.seal();
      // Buckets skipped by a gap are empty, not the old values of their ring slots.
      for (let j = this.newest + 1; j < k && j <= this.newest + this.means.length; j++) {
        this.means[j % this.means.length] = NaN;
      }
      this.newest = k;
      this.partial = [0, 0, 0];
      this.firstMs = Math.max(this.firstMs, (k - this.means.length + 1) * this.bucketMs);
    }
    this.partial[0] += value;
    this.partial[1] += 1;
    this.partial[2] += timestampMs;
    this.lastMs = timestampMs;
  }

  /**
   * When the series is expected to cross `limit` going `direction`, with the interval of the given
   * coverage (0.8, 0.9, 0.95...); a reason instead when the data does not support a prediction.
   */
  crossing(limit: number, direction: LimitDirection, coverage = 0.9): CrossingEstimate | NoCrossingReason {
    const sign = direction === 'above' ? 1 : -1;
    const { t, y } = this.history(sign);
    const target = sign * limit;
    const historyMs = this.historyMs;
    if (y.length < 4 || historyMs < MIN_WINDOW_MS) {
      return 'too little history';
    }
    const z = normalQuantile(0.5 + coverage / 2);
    const now = this.lastMs;
    if (y[y.length - 1] >= target) {
      return { seconds: 0, lowerSeconds: 0, upperSeconds: 0, method: 'trend', fromMs: now };
    }
    // The filling bucket counts: a clean-up in its first sample must not be fitted as the end of a
    // rise (its mean over fewer samples is noisier, but a reset is a jump of many spreads).
    const resets = breaks(y);
    const since = resets.length > 0 ? resets[resets.length - 1] : 0;
    // A reset at the same hour as one a day earlier (a nightly clean-up, a daily restart) is part of
    // the daily rhythm: the day-ago comparison then spans it rather than waiting for a clean day.
    const dailyReset = resets.some((r) => Math.abs(t[since] - t[r] - DAY_MS) <= 1.5 * this.bucketMs);
    const daily = this.dailyDrift(sign, t, y, dailyReset ? -Infinity : t[since]);
    // With a week behind it, the change against a week ago too (from four hours of pairs on, as the
    // history kept ends there): a weekly rhythm's rising days, which a day-ago comparison takes for
    // a leak, even a speeding one, have none.
    const weekly = this.dailyDrift(sign, t, y, t[since], 7 * DAY_MS, 2 * MIN_WINDOW_MS);
    if (weekly && !(weekly.slope > this.significance * weekly.slopeErr)) {
      return 'no significant trend';
    }
    // A leak that speeds up (or began today) shows as a trend in the change against a day ago,
    // which a daily rhythm does not have (fitted over six hours at least: shorter fits of these
    // noisier differences find trends in a plain daily cycle).
    const dayTrend = daily ? this.significantLine(daily.diffT, daily.diffs, 0, now, 3 * MIN_WINDOW_MS) : null;
    if (daily && !(daily.slope > this.significance * daily.slopeErr)) {
      return 'no significant trend';
    }
    const dayAgo = this.interpolated(sign, now - DAY_MS);
    type Path = (h: number) => { mean: number; sd: number };
    let seasonal: Path | null = null;
    if (daily && dayAgo !== null && daily.rhythm > 4 * daily.noiseVar) {
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
          const days = Math.ceil(h / DAY_MS);
          const shape = this.interpolated(sign, now + h - days * DAY_MS) ?? dayAgo;
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
      const fit = this.significantLine(t, y, since, now, minWindow);
      if (typeof fit === 'string') {
        return fit;
      }
      if (!daily && fit.level <= this.highestSince(y, t, now)) {
        // Without a day-ago comparison, a rise back into the range of the past day (a morning, a
        // busy hour) is no sign of a leak: only a level not seen for a day is.
        return 'no significant trend';
      }
      path = pathOf(fit);
    }
    // Without a day-ago comparison, half the history: a daily rise could still turn.
    const reach = Math.min(this.horizonMs, daily ? now - t[since] : (now - t[since]) / 2);
    if (seasonal && dayTrend && typeof dayTrend !== 'string') {
      // The change against a day ago is growing (a leak speeding up, or one that began today):
      // yesterday's shape plus today's change, plus that growth. A line over the raw series would
      // take the rhythm's morning rise for a leak.
      const base = seasonal;
      path = (h) => {
        const p = base(h);
        return { mean: p.mean + dayTrend.slope * h, sd: Math.hypot(p.sd, dayTrend.slopeErr * h) };
      };
    }
    const best = firstCrossing((h) => path(h).mean >= target, reach, this.bucketMs);
    if (best === Infinity) {
      return 'beyond the horizon its history supports';
    }
    const lower = firstCrossing((h) => path(h).mean + z * path(h).sd >= target, best, this.bucketMs);
    const upper = firstCrossing((h) => path(h).mean - z * path(h).sd >= target, this.horizonMs, this.bucketMs);
    return {
      seconds: best / 1000,
      lowerSeconds: Math.min(lower, best) / 1000,
      upperSeconds: upper === Infinity ? Infinity : Math.max(upper, best) / 1000,
      method: 'trend',
      fromMs: now,
    };
  }

  /**
   * The trend as a line over the longest window back (doubling from `minWindowMs`, not before the
   * last reset) whose slope agrees with the next shorter one's, so a leak that started or sped up
   * lately is followed; a reason instead when it is not significant.
   */
  private significantLine(
    t: number[],
    y: number[],
    since: number,
    now: number,
    minWindowMs: number
  ): LineFit | NoCrossingReason {
    const startOf = (ms: number): number =>
      Math.max(
        since,
        t.findIndex((x) => x >= now - ms)
      );
    let fit = lineFit(t, y, startOf(minWindowMs), now);
    for (let w = 2 * minWindowMs; fit && startOf(w / 2) > since; w *= 2) {
      const longer = lineFit(t, y, startOf(w), now);
      if (!longer || Math.abs(longer.slope - fit.slope) > 2 * Math.hypot(longer.slopeErr, fit.slopeErr)) {
        break;
      }
      fit = longer;
    }
    if (!fit || !(fit.slope > this.significance * fit.slopeErr)) {
      return 'no significant trend';
    }
    return fit;
  }

  toState(): CrossingForecasterState {
    const n = (x: number): number | null => (Number.isNaN(x) ? null : x);
    return {
      format: 'failureprophet.crossing',
      version: 1,
      options: {
        bucketMs: this.bucketMs,
        retainMs: this.retainMs,
        horizonMs: this.horizonMs,
        significance: this.significance,
      },
      firstMs: n(this.firstMs),
      lastMs: n(this.lastMs),
      newest: n(this.newest),
      means: Array.from(this.means, n),
      partial: [...this.partial],
    };
  }

  /** Resumes from `toState()` output; throws a clear Error on anything else. */
  static fromState(state: unknown): CrossingForecaster {
    const s = state as CrossingForecasterState;
    const num = (x: unknown): boolean => x === null || Number.isFinite(x);
    if (
      typeof s !== 'object' ||
      s === null ||
      s.format !== 'failureprophet.crossing' ||
      s.version !== 1 ||
      typeof s.options !== 'object' ||
      !Array.isArray(s.means) ||
      !s.means.every(num) ||
      !Array.isArray(s.partial) ||
      s.partial.length !== 3 ||
      !s.partial.every(Number.isFinite) ||
      ![s.firstMs, s.lastMs, s.newest].every(num)
    ) {
      throw new Error(
        'Cannot restore a crossing forecaster from this state: not a failureprophet.crossing version 1 snapshot'
      );
    }
    const f = new CrossingForecaster(s.options);
    if (f.means.length !== s.means.length) {
      throw new Error('Cannot restore a crossing forecaster from this state: its history does not fit its options');
    }
    f.means = Float64Array.from(s.means, (x) => (x === null ? NaN : x));
    f.firstMs = s.firstMs ?? NaN;
    f.lastMs = s.lastMs ?? NaN;
    f.newest = s.newest ?? NaN;
    f.partial = [...s.partial];
    return f;
  }

  /** Moves the filling bucket's mean into the ring. */
  private seal(): void {
    const [sum, count] = this.partial;
    this.means[this.newest % this.means.length] = count > 0 ? sum / count : NaN;
  }

  /** Bucket times (the filling one at its samples' mean time) and signed means, oldest first. */
  private history(sign: number): { t: number[]; y: number[] } {
    const t: number[] = [];
    const y: number[] = [];
    const m = this.means.length;
    for (let k = this.newest - m + 1; k < this.newest; k++) {
      const v = this.means[((k % m) + m) % m];
      if (!Number.isNaN(v) && (k + 1) * this.bucketMs > this.firstMs) {
        t.push(k * this.bucketMs + this.bucketMs / 2);
        y.push(sign * v);
      }
    }
    const [sum, count, sumT] = this.partial;
    if (count > 0) {
      t.push(sumT / count);
      y.push((sign * sum) / count);
    }
    return { t, y };
  }

  /** Highest signed bucket mean over the past day until two hours ago (before a reset too: a level seen then is no news). */
  private highestSince(y: number[], t: number[], now: number): number {
    let high = -Infinity;
    for (let i = 0; i < y.length && t[i] < now - MIN_WINDOW_MS; i++) {
      if (t[i] >= now - DAY_MS) {
        high = Math.max(high, y[i]);
      }
    }
    return high;
  }

  /** The signed history at a past time, interpolated between bucket centres (one side when the other is empty). */
  private interpolated(sign: number, ms: number): number | null {
    const p = ms / this.bucketMs - 0.5;
    const k = Math.floor(p);
    const a = this.valueAt(sign, k * this.bucketMs);
    const b = this.valueAt(sign, (k + 1) * this.bucketMs);
    if (a === null || b === null) {
      return a ?? b;
    }
    return a + (b - a) * (p - k);
  }

  /** The signed bucket mean at a past time, if that bucket holds data. */
  private valueAt(sign: number, ms: number): number | null {
    const k = Math.floor(ms / this.bucketMs);
    if (k > this.newest || k <= this.newest - this.means.length) {
      return null;
    }
    const v = k === this.newest ? this.partial[0] / this.partial[1] : this.means[k % this.means.length];
    return Number.isFinite(v) ? sign * v : null;
  }

  /**
   * The change against the same hour a period (default a day) earlier over the last day, as a slope
   * with its error; `rhythm` is the variance the daily cycle adds (what a straight line cannot
   * explain), `noiseVar` one bucket's noise. Null without a period and `pairsMs` of history (a day
   * by default, so the day-ago comparison spans a whole daily rhythm), or that long since the last reset.
   */
  private dailyDrift(
    sign: number,
    t: number[],
    y: number[],
    sinceMs: number,
    dayMs = DAY_MS,
    pairsMs = DAY_MS
  ): { slope: number; slopeErr: number; rhythm: number; noiseVar: number; diffT: number[]; diffs: number[] } | null {
    const now = this.lastMs;
    if (this.historyMs < dayMs + pairsMs) {
      return null;
    }
    const diffs: number[] = [];
    const diffT: number[] = [];
    for (let i = 0; i < t.length; i++) {
      // Pairs straddling a reset compare two different regimes: only pairs after the last one count.
      if (t[i] < now - DAY_MS || t[i] - dayMs < sinceMs) {
        continue;
      }
      const before = this.valueAt(sign, t[i] - dayMs);
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
    const dayFit = lineFit(
      t,
      y,
      t.findIndex((x) => x >= now - 2 * DAY_MS),
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
}

/**
 * Indices just after each reset, oldest first: a jump far beyond the changes around it, in spread
 * and in size (so a leak that starts, whose every step is larger than before, is no reset, nor is
 * the shorter step into a filling bucket on a noiseless rise). Jumps are looked for from one bucket
 * to the next and across two, as a shift inside a bucket is split between two changes.
 */
function breaks(y: number[]): number[] {
  if (y.length < 6) {
    return [];
  }
  const found = new Set<number>();
  for (const lag of [1, 2]) {
    const d = y.slice(lag).map((v, i) => v - y[i]);
    // Each change against the median of its neighbours (four each side, not overlapping it).
    const usual = d.map((_, i) =>
      median([...d.slice(Math.max(0, i - 3 - lag), Math.max(0, i - lag + 1)), ...d.slice(i + lag, i + lag + 4)])
    );
    const dev = d.map((x, i) => x - usual[i]);
    const spread = 1.4826 * median(dev.map(Math.abs));
    const scale = Math.max(spread, 1e-9 * Math.max(...y.map(Math.abs)), 1e-12);
    for (let i = 0; i < d.length; i++) {
      if (Math.abs(dev[i]) > Math.max(BREAK_SPREADS * scale, Math.abs(usual[i]))) {
        found.add(i + lag);
      }
    }
  }
  // A jump seen from one bucket to the next and again across two is one reset, after its last bucket.
  const out = [...found].sort((a, b) => a - b);
  return out.filter((r, k) => out[k + 1] !== r + 1);
}

interface LineFit {
  /** Fitted value at `now`. */
  level: number;
  /** Per ms. */
  slope: number;
  slopeErr: number;
  levelVar: number;
  residualVar: number;
}

/** Least squares of y on t over indices [from, end), evaluated at `now`; errors widened for autocorrelation. */
function lineFit(t: number[], y: number[], from: number, now: number): LineFit | null {
  const n = y.length - from;
  if (from < 0 || n < 4) {
    return null;
  }
  let st = 0;
  let sy = 0;
  for (let i = from; i < y.length; i++) {
    st += t[i];
    sy += y[i];
  }
  const mt = st / n;
  const my = sy / n;
  let stt = 0;
  let sty = 0;
  for (let i = from; i < y.length; i++) {
    stt += (t[i] - mt) ** 2;
    sty += (t[i] - mt) * (y[i] - my);
  }
  if (!(stt > 0)) {
    return null;
  }
  const slope = sty / stt;
  const resid: number[] = [];
  for (let i = from; i < y.length; i++) {
    resid.push(y[i] - (my + slope * (t[i] - mt)));
  }
  const residualVar = resid.reduce((a, r) => a + r * r, 0) / (n - 2);
  const inflation = autocorrelationInflation(resid);
  return {
    level: my + slope * (now - mt),
    slope,
    slopeErr: Math.sqrt((residualVar * inflation) / stt),
    levelVar: residualVar * inflation * (1 / n + (now - mt) ** 2 / stt),
    residualVar,
  };
}

/** Variance factor (1+rho)/(1-rho) of the mean of an AR(1) series with lag-1 autocorrelation rho. */
function autocorrelationInflation(resid: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < resid.length; i++) {
    den += resid[i] * resid[i];
    if (i > 0) {
      num += resid[i] * resid[i - 1];
    }
  }
  const rho = den > 0 ? Math.min(0.95, Math.max(0, num / den)) : 0;
  return (1 + rho) / (1 - rho);
}

/** First h in (0, maxMs] where `crossed(h)` holds, to a 1/16 of `stepMs`; Infinity if none. */
function firstCrossing(crossed: (h: number) => boolean, maxMs: number, stepMs: number): number {
  let prev = 0;
  for (let h = stepMs / 4; h <= maxMs + stepMs / 4; h += stepMs / 4) {
    const at = Math.min(h, maxMs);
    if (crossed(at)) {
      let lo = prev;
      let hi = at;
      while (hi - lo > stepMs / 64) {
        const mid = (lo + hi) / 2;
        if (crossed(mid)) {
          hi = mid;
        } else {
          lo = mid;
        }
      }
      return hi;
    }
    prev = at;
  }
  return Infinity;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Quantile of the standard normal (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    return (
      (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
      ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
    );
  }
  if (q > 1 - 0.02425) {
    return -normalQuantile(1 - q);
  }
  const r = q - 0.5;
  const s = r * r;
  return (
    ((((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r) /
    (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1)
  );
}
