import { log10NormalTwoSided, scoreOfLog10 } from './calibration';
import { checkState, DetectorOptions, DetectorState, num, stateEnvelope, StreamingDetector } from './detector';
import { GatedDetector } from './shared/band';

export interface EwmaOptions extends DetectorOptions {
  /** Weight of the newest sample in the moving mean and variance (default 0.05). */
  alpha?: number;
}

const VERSION = 1;
const WARMUP = 10;
/** Largest step from the mean an update learns, 2^510 (~3.4e153): its square times alpha stays finite. */
const STEP_LIMIT = 2 ** 510;

/**
 * The "start simple" baseline: exponentially weighted moving mean and variance (Roberts' EWMA
 * chart, 1959). Assumes the series is locally Gaussian around a slowly moving level; the score is
 * the two-sided normal tail probability of the newest residual.
 */
export class EwmaDetector extends GatedDetector implements StreamingDetector {
  readonly name = 'ewma';
  private readonly alpha: number;
  private mean = NaN;
  private variance = 0;
  private count = 0;

  constructor(options: EwmaOptions = {}) {
    super();
    this.alpha = options.alpha ?? 0.05;
  }

  update(timestampMs: number, value: number): number {
    if (!this.admits(timestampMs, value)) {
      return this.lastScore;
    }
    let score = 0;
    if (this.count === 0) {
      this.mean = value;
    } else {
      const std = Math.sqrt(this.variance) + 1e-9 + 1e-6 * Math.abs(this.mean);
      const d = value - this.mean;
      if (this.count >= WARMUP && !Number.isNaN(d / std)) {
        score = scoreOfLog10(log10NormalTwoSided(d / std));
      }
      this.setBand(this.mean, std);
      let mean = this.mean + this.alpha * d;
      let variance = (1 - this.alpha) * (this.variance + this.alpha * d * d);
      if (!Number.isFinite(mean) || !Number.isFinite(variance)) {
        // d (or d * d) left the doubles: a value ~1e154 or more from the mean. It is learnt as a step
        // of STEP_LIMIT, so that mean and deviation move together (no overflow, nor a deviation too
        // small for the mean it has moved to: ordinary values after a 1e308 spike do not alarm) and
        // decay as ever once values are ordinary again. A mean saved not finite by an earlier build
        // restarts at the value.
        const step = Math.min(STEP_LIMIT, Math.max(-STEP_LIMIT, d));
        mean = Number.isFinite(this.mean) ? this.mean + this.alpha * step : value;
        variance = (1 - this.alpha) * (this.variance + this.alpha * step * step);
        variance = Number.isFinite(variance) ? variance : Number.MAX_VALUE;
      }
      this.mean = mean;
      this.variance = variance;
    }
    this.count++;
    this.lastScore = score;
    return score;
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(this.name, VERSION),
      alpha: this.alpha,
      mean: this.mean,
      variance: this.variance,
      count: this.count,
      lastT: this.lastT,
      lastScore: this.lastScore,
    };
  }

  static fromState(state: unknown): EwmaDetector {
    const s = checkState(state, 'ewma', VERSION);
    const d = new EwmaDetector({ alpha: num(s, 'alpha') });
    d.mean = num(s, 'mean');
    d.variance = num(s, 'variance');
    d.count = num(s, 'count');
    d.lastT = s.lastT === null ? -Infinity : num(s, 'lastT');
    d.lastScore = num(s, 'lastScore');
    return d;
  }
}
