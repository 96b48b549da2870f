/**
 * Damped Holt-Winters with a damped additive trend and additive seasonality (Gardner & McKenzie
 * 1985; Hyndman et al., "Forecasting with exponential smoothing", 2008), run on a regular step grid
 * so that gaps are bridged by the model's own forecast instead of being interpolated. The panel's
 * path and the backtest's plain baseline; assumes the recent trend and daily shape continue.
 */
import { z } from 'zod';
import type { CrossingEstimate, LimitDirection } from './types';
import { DAY_MS, Z90 } from './trend';

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

/** A number of a snapshot: JSON writes NaN as null. */
const stored = z.number().nullable();

/** A snapshot as read back: checked field by field (the step is NaN, so null, until learned). */
const FORECASTER_STATE = z.object({
  format: z.literal('failureprophet.forecaster'),
  version: z.literal(1),
  options: z.object({
    alpha: z.number(),
    beta: z.number(),
    gamma: z.number(),
    phi: z.number(),
    seasonMs: z.number(),
    stepMs: stored,
    horizonSteps: z.number(),
    maxSeasonSteps: z.number(),
  }),
  season: z.array(stored),
  scalars: z.array(stored).length(8),
  warm: z.array(z.number()),
});

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
    this.seasonMs = options.seasonMs ?? DAY_MS;
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
    const sign = direction === 'above' ? 1 : -1;
    const zSigma = z * this.sigma;
    const scales = this.errorScales();
    let best = Infinity;
    let early = Infinity;
    let late = Infinity;
    for (let h = 1; h <= this.horizon; h++) {
      const y = this.forecast(h);
      const spread = zSigma * scales.next().value;
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

  /** Half-widths of the range (default 90%) around `forecast(h)` for each of the increasing horizons, as `timeToLimit` uses them. */
  spreads(horizons: readonly number[], z = Z90): number[] {
    const zSigma = z * this.sigma;
    const scales = this.errorScales();
    let scale = scales.next().value;
    let h = 1;
    return horizons.map((target) => {
      for (; h < target; h++) {
        scale = scales.next().value;
      }
      return zSigma * scale;
    });
  }

  /** The one-step error's standard deviation, 0 until known. */
  private get sigma(): number {
    return Number.isNaN(this.residualStd) ? 0 : this.residualStd;
  }

  /**
   * The h-step error's spread in one-step errors for h = 1, 2, ... in turn. Its variance for damped
   * Holt: sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha (1 + beta sum_{i<=j} phi^i).
   */
  private *errorScales(): Generator<number, never> {
    let varSum = 1;
    let phiSum = 0;
    for (let h = 1; ; h++) {
      yield Math.sqrt(varSum);
      phiSum += Math.pow(this.phi, h);
      const c = this.alpha * (1 + this.beta * phiSum);
      varSum += c * c;
    }
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
    const parsed = FORECASTER_STATE.safeParse(state);
    if (!parsed.success) {
      throw new Error(
        'Cannot restore a forecaster from this state: not a failureprophet.forecaster version 1 snapshot'
      );
    }
    const s = parsed.data;
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
