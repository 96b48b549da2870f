/**
 * Conformal intervals for the crossing forecaster's path: the model's own out-of-sample errors at
 * each horizon, standardised by the model's standard deviation there, give the band's quantiles
 * (split conformal over a rolling window of recent errors, as the lookback of Gibbs & Candès'
 * adaptive conformal inference, 2021; per-horizon calibration as in Stankeviciute et al.,
 * "Conformal time-series forecasting", 2021). No fixed miss rate is adapted online because one
 * forecaster answers for several coverages (80%, 90%, 95%); the rolling window is what follows a
 * drifting error distribution. Until a horizon has enough errors the normal quantile stands in.
 *
 * A forecast is scored against the mean of the bucket it was made for, once that bucket is sealed;
 * forecasts made before a reset that comes before their bucket are dropped (the model restarts
 * there, so they say nothing about its errors). Memory is bounded: a few pending forecasts and the
 * last `KEEP` errors per horizon.
 */

/** Horizons, in buckets, at which errors are kept (30 min to 48 h at the default bucket). */
export const CALIBRATION_HORIZONS = [1, 2, 4, 8, 16, 32, 64, 96] as const;
/** Errors kept per horizon (the rolling calibration window). */
const KEEP = 120;
/** Forecasts pending per horizon: a forecast every horizon / PENDING buckets. */
const PENDING = 8;
/** Fewest errors a horizon needs before its quantiles replace the normal ones. */
const MIN_ERRORS = 40;

/** A forecast waiting for its bucket: [bucket index, mean, sd, time of the reset it was made after]. */
type Pending = [number, number, number, number];

/** Plain JSON of a HorizonCalibration. */
export interface CalibrationState {
  pending: Pending[][];
  /** Per horizon, standardised errors (actual - mean) / sd in the series' own sense, oldest first. */
  errors: number[][];
}

/** The model's forecast of the signed mean of bucket `k` (null: no forecast). */
export type BucketForecast = (k: number) => { mean: number; sd: number } | null;

export class HorizonCalibration {
  private pending: Pending[][] = CALIBRATION_HORIZONS.map(() => []);
  private errors: number[][] = CALIBRATION_HORIZONS.map(() => []);

  /** Errors kept at each horizon (for tests and the backtest). */
  get counts(): number[] {
    return this.errors.map((e) => e.length);
  }

  /**
   * Bucket `k` was sealed with mean `actual` (null if empty): scores the forecasts made for it
   * after the same reset `resetMs`, then records the new forecasts `forecast` makes from now of
   * the signed series (`sign` +1, or -1 for a path towards a lower limit).
   */
  observe(k: number, actual: number | null, resetMs: number, sign: number, forecast: BucketForecast | null): void {
    CALIBRATION_HORIZONS.forEach((h, i) => {
      const queue = this.pending[i];
      while (queue.length > 0 && queue[0][0] <= k) {
        const [due, mean, sd, madeAfter] = queue.shift() as Pending;
        if (due === k && actual !== null && madeAfter === resetMs && sd > 0) {
          const kept = this.errors[i];
          kept.push((actual - mean) / sd);
          if (kept.length > KEEP) {
            kept.shift();
          }
        }
      }
      if (forecast && k % Math.max(1, Math.floor(h / PENDING)) === 0) {
        const f = forecast(k + h);
        if (f && Number.isFinite(f.mean) && f.sd > 0) {
          // Kept in the series' own sense: a forecast of the negated series is negated back.
          queue.push([k + h, sign * f.mean, f.sd, resetMs]);
        }
      }
    });
  }

  /**
   * The standardised error at probability `p` (e.g. 0.975 for the upper edge of a 95% band), at
   * `buckets` ahead, in the sense `sign`; null when too few errors are known there.
   */
  quantile(buckets: number, p: number, sign: number): number | null {
    if (sign < 0) {
      const q = this.quantile(buckets, 1 - p, 1);
      return q === null ? null : -q;
    }
    const hs = CALIBRATION_HORIZONS;
    const at = Math.min(Math.max(buckets, hs[0]), hs[hs.length - 1]);
    let j = 0;
    while (j < hs.length - 1 && hs[j + 1] < at) {
      j++;
    }
    const a = conformalQuantile(this.errors[j], p);
    const b = j + 1 < hs.length ? conformalQuantile(this.errors[j + 1], p) : a;
    if (a === null || b === null || at <= hs[j]) {
      return at <= hs[j] ? a : null;
    }
    // Between two calibrated horizons: interpolated on a log scale of the horizon.
    const w = Math.log(at / hs[j]) / Math.log(hs[j + 1] / hs[j]);
    return a + (b - a) * w;
  }

  toState(): CalibrationState {
    return {
      pending: this.pending.map((q) => q.map((x) => [...x] as Pending)),
      errors: this.errors.map((e) => [...e]),
    };
  }

  /** Restores `toState()` output; a clear message (for the caller's Error) when it is malformed. */
  restore(s: CalibrationState): string | null {
    const n = CALIBRATION_HORIZONS.length;
    const finite = (xs: unknown): boolean => Array.isArray(xs) && xs.every((x) => Number.isFinite(x));
    if (
      typeof s !== 'object' ||
      s === null ||
      !Array.isArray(s.pending) ||
      !Array.isArray(s.errors) ||
      s.pending.length !== n ||
      s.errors.length !== n ||
      !s.errors.every((e) => finite(e) && e.length <= KEEP) ||
      !s.pending.every(
        (q) => Array.isArray(q) && q.length <= PENDING + 1 && q.every((p) => finite(p) && p.length === 4)
      )
    ) {
      return 'its interval calibration is malformed';
    }
    this.pending = s.pending.map((q) => q.map((x) => [...x] as Pending));
    this.errors = s.errors.map((e) => [...e]);
    return null;
  }
}

/**
 * The split-conformal quantile of `errors` at probability p: the ceil((n+1)p)-th smallest for an
 * upper edge, the floor((n+1)p)-th for a lower one (finite-sample valid); null below MIN_ERRORS or
 * when that rank falls outside the sample.
 */
function conformalQuantile(errors: number[], p: number): number | null {
  const n = errors.length;
  if (n < MIN_ERRORS) {
    return null;
  }
  const rank = p >= 0.5 ? Math.ceil((n + 1) * p) : Math.floor((n + 1) * p);
  if (rank < 1 || rank > n) {
    return null;
  }
  return [...errors].sort((x, y) => x - y)[rank - 1];
}
