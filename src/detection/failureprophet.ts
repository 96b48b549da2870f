import { scoreOfLog10, SCORE_DECADES, zOfLog10TwoSided } from './calibration';
import { checkState, DETECTOR_STATE_FORMAT, DetectorOptions, DetectorState, num, numArray, StreamingDetector } from './detector';
import { RECOMMENDED_THRESHOLD } from './threshold';

export interface FailureProphetOptions extends DetectorOptions {
  /** Buckets of the daily profile (default 24: one per hour). */
  buckets?: number;
  /** Floor of the learning rate of a bucket's mean and deviation (default 0.1). */
  profileRate?: number;
  /** Weight of the newest surprise in its short-term average (default 0.5). */
  shortAlpha?: number;
  /** Quantile above which surprises are modelled by an exponential tail (default 0.8). */
  tailQuantile?: number;
  /** Decay per step of the alarm memory that keeps one event from alarming twice (default 0.995). */
  refractoryDecay?: number;
}

const VERSION = 2;
const WARMUP = 30;
const MS_DAY = 86_400_000;

/**
 * The product's detector. Assumes a metric's normal behaviour repeats daily (load, traffic,
 * batch jobs) or is flat, which a daily profile covers both of: per hour of day a moving mean and
 * mean absolute deviation (a seasonal EWMA chart, as in Holt-Winters' seasonal index). The
 * surprise of a value is its distance from its hour's mean in that hour's deviations; it becomes a
 * tail probability by peaks-over-threshold on the series' own surprises (SPOT, Siffer et al.,
 * KDD 2017, with an exponential tail), so one threshold means the same on every series; an alarm
 * memory then reports each event once (as ARTime and HTM's likelihood do for NAB's windows).
 */
export class FailureProphetDetector implements StreamingDetector {
  readonly name = 'failureprophet';
  expected = NaN;
  lower = NaN;
  upper = NaN;
  private readonly o: Required<Omit<FailureProphetOptions, keyof DetectorOptions>>;
  private readonly bandZ = zOfLog10TwoSided(-RECOMMENDED_THRESHOLD * SCORE_DECADES);
  private readonly s = new Float64Array(S_SIZE);
  /** Per bucket: mean, mean absolute deviation, samples seen. */
  private readonly profile: Float64Array;

  constructor(options: FailureProphetOptions = {}) {
    this.o = {
      buckets: options.buckets ?? 24,
      profileRate: options.profileRate ?? 0.1,
      shortAlpha: options.shortAlpha ?? 0.5,
      tailQuantile: options.tailQuantile ?? 0.8,
      refractoryDecay: options.refractoryDecay ?? 0.995,
    };
    this.profile = new Float64Array(this.o.buckets * 3);
    this.s[S_LAST_T] = -Infinity;
    this.s[S_MIN] = Infinity;
    this.s[S_MAX] = -Infinity;
  }

  update(timestampMs: number, value: number): number {
    const s = this.s;
    if (!Number.isFinite(value) || !(timestampMs > s[S_LAST_T])) {
      return s[S_LAST_SCORE];
    }
    s[S_LAST_T] = timestampMs;
    const n = ++s[S_COUNT];
    s[S_MIN] = Math.min(s[S_MIN], value);
    s[S_MAX] = Math.max(s[S_MAX], value);
    // Floors keep a perfectly regular series from dividing by zero deviation.
    const floor = 1e-3 * (s[S_MAX] - s[S_MIN]) + 1e-9 * (Math.abs(value) + 1);
    if (n > 1) {
      s[S_STEP] += Math.max(1 / n, 0.001) * (Math.abs(value - s[S_PREV]) - s[S_STEP]);
    }
    s[S_PREV] = value;

    const prof = this.profile;
    const b = Math.floor(((((timestampMs % MS_DAY) + MS_DAY) % MS_DAY) * this.o.buckets) / MS_DAY) * 3;
    const nb = ++prof[b + 2];
    let surprise = 0;
    if (nb === 1) {
      prof[b] = value;
      prof[b + 1] = 0;
    } else {
      const dev = value - prof[b];
      const mad = prof[b + 1] + 0.01 * s[S_STEP] + floor;
      surprise = Math.abs(dev) / mad;
      this.expected = prof[b];
      this.lower = prof[b] - this.bandZ * mad * BAND_PER_Z;
      this.upper = prof[b] + this.bandZ * mad * BAND_PER_Z;
      const rate = Math.max(1 / nb, this.o.profileRate);
      prof[b] += rate * dev;
      prof[b + 1] += rate * (Math.abs(dev) - prof[b + 1]);
    }

    let score = n > WARMUP ? scoreOfLog10(this.tail(surprise, n)) : (this.tail(surprise, n), 0);
    // One alarm per event: report a score only when it exceeds the decaying memory of past ones.
    const memory = s[S_MEMORY] * this.o.refractoryDecay;
    s[S_MEMORY] = Math.max(memory, score);
    score = score > memory ? score : 0;
    s[S_LAST_SCORE] = score;
    return score;
  }

  /** log10 of the tail probability of surprise `x` (peaks over threshold on its short-term average); learns. */
  private tail(x: number, n: number): number {
    const s = this.s;
    const q = this.o.tailQuantile;
    const u = n === 1 ? x : s[S_SHORT] + this.o.shortAlpha * (x - s[S_SHORT]);
    s[S_SHORT] = u;
    const t = s[S_TAIL_AT];
    const sigma = s[S_EXCESS] + 0.02 * s[S_MEAN] + 1e-6;
    let log10p = 0;
    if (u > t) {
      log10p = Math.log10(1 - q) - (Math.LOG10E * (u - t)) / sigma;
      s[S_EXCESS] += 0.02 * (u - t - s[S_EXCESS]);
    }
    // Stochastic-approximation quantile: settles where P(u > t) = 1 - q.
    s[S_TAIL_AT] += 0.05 * sigma * ((u > t ? 1 : 0) - (1 - q));
    s[S_MEAN] += Math.max(1 / n, 0.001) * (u - s[S_MEAN]);
    return log10p;
  }

  toState(): DetectorState {
    return { format: DETECTOR_STATE_FORMAT, name: this.name, version: VERSION, options: { ...this.o }, scalars: Array.from(this.s), profile: Array.from(this.profile) };
  }

  static fromState(state: unknown): FailureProphetDetector {
    const st = checkState(state, 'failureprophet', VERSION);
    const o = st.options as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) {
      throw new Error('Corrupt detector state: failureprophet options missing');
    }
    const d = new FailureProphetDetector({
      buckets: num(o, 'buckets'),
      profileRate: num(o, 'profileRate'),
      shortAlpha: num(o, 'shortAlpha'),
      tailQuantile: num(o, 'tailQuantile'),
      refractoryDecay: num(o, 'refractoryDecay'),
    });
    if (!(Number.isInteger(d.o.buckets) && d.o.buckets >= 1 && d.o.buckets <= 1440)) {
      throw new Error('Corrupt detector state: failureprophet bucket count out of range');
    }
    d.s.set(numArray(st, 'scalars', S_SIZE));
    d.profile.set(numArray(st, 'profile', d.o.buckets * 3));
    return d;
  }
}

/** For Gaussian noise the standard deviation is sqrt(pi/2) mean absolute deviations. */
const BAND_PER_Z = Math.sqrt(Math.PI / 2);

const S_LAST_T = 0;
const S_LAST_SCORE = 1;
const S_COUNT = 2;
const S_MIN = 3;
const S_MAX = 4;
const S_SHORT = 5;
const S_TAIL_AT = 6;
const S_EXCESS = 7;
const S_MEAN = 8;
const S_MEMORY = 9;
const S_PREV = 10;
const S_STEP = 11;
const S_SIZE = 12;
