import { log10NormalTwoSided, scoreOfLog10 } from './calibration';
import {
  checkState,
  DetectorOptions,
  DetectorState,
  num,
  numArray,
  stateEnvelope,
  StreamingDetector,
} from './detector';
import { GatedDetector } from './shared/band';

export interface ZScoreOptions extends DetectorOptions {
  /** Samples in the rolling window (default 288: a day of 5-minute samples). */
  window?: number;
}

const VERSION = 1;

/**
 * Rolling z-score (NAB's "windowed Gaussian"): mean and standard deviation of the last `window`
 * samples. Assumes the recent window is a fair sample of normal behaviour; the score is the
 * two-sided normal tail probability of the newest value against it.
 */
export class ZScoreDetector extends GatedDetector implements StreamingDetector {
  readonly name = 'zscore';
  private readonly ring: Float64Array;
  private head = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;

  constructor(options: ZScoreOptions = {}) {
    super();
    this.ring = new Float64Array(Math.max(2, options.window ?? 288));
  }

  update(timestampMs: number, value: number): number {
    if (!this.admits(timestampMs, value)) {
      return this.lastScore;
    }
    let score = 0;
    if (this.count >= 10) {
      const mean = this.sum / this.count;
      const variance = Math.max(0, (this.sumSq - this.sum * mean) / (this.count - 1));
      const std = Math.sqrt(variance) + 1e-9 + 1e-6 * Math.abs(mean);
      const z = (value - mean) / std;
      if (Number.isFinite(mean) && Number.isFinite(std) && !Number.isNaN(z)) {
        score = scoreOfLog10(log10NormalTwoSided(z));
        this.setBand(mean, std);
      } else {
        // A value beyond ~1e154 in the window: its square (or the sum) left the doubles.
        score = this.scaledScore(value);
      }
    }
    const cap = this.ring.length;
    if (this.count === cap) {
      const old = this.ring[this.head];
      this.sum -= old;
      this.sumSq -= old * old;
    } else {
      this.count++;
    }
    this.ring[this.head] = value;
    this.sum += value;
    this.sumSq += value * value;
    this.head = (this.head + 1) % cap;
    // Running sums drift with cancellation; recompute them once per lap, and at every step while they
    // are not finite (a huge value in the window: once it has left, they are finite again at once).
    if (this.head === 0 || !Number.isFinite(this.sum) || !Number.isFinite(this.sumSq)) {
      this.sum = 0;
      this.sumSq = 0;
      for (let i = 0; i < this.count; i++) {
        this.sum += this.ring[i];
        this.sumSq += this.ring[i] * this.ring[i];
      }
    }
    this.lastScore = score;
    return score;
  }

  /**
   * The score and band of `value` when the running sums overflow: mean and deviation of the window
   * taken in units of its largest magnitude (a power of 2, so the scaling is exact), where nothing
   * overflows. The band's edges may still pass the largest double: setBand saturates them.
   */
  private scaledScore(value: number): number {
    const n = this.count;
    let max = 0;
    for (let i = 0; i < n; i++) {
      max = Math.max(max, Math.abs(this.ring[i]));
    }
    // The window holds a value of magnitude >= ~1e150 here; 2^1024 would be Infinity (then |x / unit| <= 2).
    const unit = 2 ** Math.min(1023, Math.ceil(Math.log2(max)));
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += this.ring[i] / unit;
    }
    const mean = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = this.ring[i] / unit - mean;
      ss += d * d;
    }
    // As in update(), in units: the floor 1e-9 vanishes beside a unit of >= 1e154.
    const std = Math.sqrt(ss / (n - 1)) + 1e-9 / unit + 1e-6 * Math.abs(mean);
    this.setBand(mean * unit, std * unit);
    return scoreOfLog10(log10NormalTwoSided((value / unit - mean) / std));
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(this.name, VERSION),
      window: this.ring.length,
      ring: Array.from(this.ring),
      head: this.head,
      count: this.count,
      sum: this.sum,
      sumSq: this.sumSq,
      lastT: this.lastT,
      lastScore: this.lastScore,
    };
  }

  static fromState(state: unknown): ZScoreDetector {
    const s = checkState(state, 'zscore', VERSION);
    const window = num(s, 'window');
    // The ring is read (its length checked against the array it is) before a ring of `window` is made.
    const ring = numArray(s, 'ring', window);
    if (window < 2) {
      throw new Error('Corrupt detector state: zscore window is below 2');
    }
    const d = new ZScoreDetector({ window });
    d.ring.set(ring);
    d.head = num(s, 'head');
    d.count = num(s, 'count');
    if (!(d.head >= 0 && d.head < window && d.count >= 0 && d.count <= window)) {
      throw new Error('Corrupt detector state: zscore ring indices out of range');
    }
    d.sum = num(s, 'sum');
    d.sumSq = num(s, 'sumSq');
    d.lastT = s.lastT === null ? -Infinity : num(s, 'lastT');
    d.lastScore = num(s, 'lastScore');
    return d;
  }
}
