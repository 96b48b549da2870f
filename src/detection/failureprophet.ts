import { scoreOfLog10, SCORE_DECADES, zOfLog10TwoSided } from './calibration';
import { checkState, DETECTOR_STATE_FORMAT, DetectorOptions, DetectorState, num, numArray, StreamingDetector } from './detector';
import { RECOMMENDED_THRESHOLD } from './threshold';

export interface FailureProphetOptions extends DetectorOptions {
  /** Buckets of the daily profile (default 24: one per hour). */
  buckets?: number;
  /** Floor of the learning rate of a bucket's mean and deviation (default 0.1). */
  profileRate?: number;
  /** Learning rate of the slow all-day baseline's mean and deviation (default 0.01). */
  baselineRate?: number;
  /** Weight of the newest surprise in its short-term average (default 0.5). */
  shortAlpha?: number;
  /** Quantile above which surprises are modelled by an exponential tail (default 0.9). */
  tailQuantile?: number;
  /** Decay per step of the alarm memory once the hold is over (default 0.995). */
  refractoryDecay?: number;
  /** The alarm memory is held (not decayed) this long after it was last raised, in ms (default 24 h). */
  holdMs?: number;
  /** Score at which the caller opens an anomaly (default RECOMMENDED_THRESHOLD). */
  alarmThreshold?: number;
  /** After a reported score >= alarmThreshold, nothing more is reported for this long, in ms (default 12 h). */
  refractoryMs?: number;
}

const VERSION = 3;
const WARMUP = 30;
const MS_DAY = 86_400_000;
/** Views combined: the daily profile and the slow baseline. */
const VIEWS = 2;
/** Per-step release of `level` (a short peak hold, so an ongoing anomaly does not flicker). */
const LEVEL_RELEASE = 0.9;

/**
 * The product's detector: an ensemble of two views of "normal", each turned into a calibrated tail
 * probability and combined on the shared -log10(p) scale, with one alarm per event.
 *
 * - Daily profile: per hour of day a moving mean and mean absolute deviation (a seasonal EWMA
 *   chart, as Holt-Winters' seasonal index); catches values wrong for their time of day.
 * - Slow baseline: one all-day moving mean and deviation with a slow rate (about 100 samples);
 *   catches level shifts, drifts and spikes against the series' long-run level, which the profile
 *   (learning each hour quickly) absorbs too fast, and works on series with no daily rhythm.
 *
 * Each view's surprise (distance from its mean in its deviations) is averaged over a few samples and
 * becomes a tail probability by peaks-over-threshold on the view's own history (SPOT, Siffer et al.,
 * KDD 2017, exponential tail), so one threshold means the same on every series, as HTM's anomaly
 * likelihood does. The views combine by their minimum p with a Bonferroni factor (p_min * 2).
 * `update()` then reports each event once, in two steps: a score counts only if it exceeds the
 * alarm memory (the largest recent score, held for `holdMs` after it was raised, decaying after),
 * and after a reported score at or above `alarmThreshold` (the level the caller opens anomalies
 * at) nothing is reported for `refractoryMs` (ARTime also mutes itself after a detection). `level`
 * is the same score without either suppression.
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
      baselineRate: options.baselineRate ?? 0.01,
      shortAlpha: options.shortAlpha ?? 0.5,
      tailQuantile: options.tailQuantile ?? 0.9,
      refractoryDecay: options.refractoryDecay ?? 0.995,
      holdMs: options.holdMs ?? 24 * 3_600_000,
      alarmThreshold: options.alarmThreshold ?? RECOMMENDED_THRESHOLD,
      refractoryMs: options.refractoryMs ?? 12 * 3_600_000,
    };
    this.profile = new Float64Array(this.o.buckets * 3);
    this.s[S_LAST_T] = -Infinity;
    this.s[S_MIN] = Infinity;
    this.s[S_MAX] = -Infinity;
    this.s[S_RAISED_AT] = -Infinity;
    this.s[S_ALARM_AT] = -Infinity;
    this.s[S_REF_UNTIL] = -Infinity;
  }

  /**
   * The score without per-event suppression, in [0, 1] on the same scale as `update()`'s. After an
   * alarm it stays at or above `alarmThreshold` while the value stays far from the baseline as it
   * was before the alarm (a step that persists keeps it up, for at most `holdMs`), and otherwise
   * releases by 10% per sample. Use it to keep an anomaly open and to shade it; open anomalies on
   * `update()`'s return value.
   */
  get level(): number {
    return this.s[S_LEVEL];
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
    if (n > 1) {
      s[S_STEP] += Math.max(1 / n, 0.001) * (Math.abs(value - s[S_PREV]) - s[S_STEP]);
    }
    const floor = 1e-3 * (s[S_MAX] - s[S_MIN]) + 1e-9 * (Math.abs(value) + 1) + 0.01 * s[S_STEP];
    s[S_PREV] = value;

    // View 1: the daily profile.
    const prof = this.profile;
    const b = Math.floor(((((timestampMs % MS_DAY) + MS_DAY) % MS_DAY) * this.o.buckets) / MS_DAY) * 3;
    const nb = ++prof[b + 2];
    let surprise = 0;
    if (nb === 1) {
      prof[b] = value;
      prof[b + 1] = 0;
    } else {
      const dev = value - prof[b];
      const mad = prof[b + 1] + floor;
      surprise = Math.abs(dev) / mad;
      this.expected = prof[b];
      this.lower = prof[b] - this.bandZ * mad * BAND_PER_Z;
      this.upper = prof[b] + this.bandZ * mad * BAND_PER_Z;
      const rate = Math.max(1 / nb, this.o.profileRate);
      prof[b] += rate * dev;
      prof[b + 1] += rate * (Math.abs(dev) - prof[b + 1]);
    }
    let log10p = this.tail(0, surprise, n);

    // View 2: the slow all-day baseline.
    surprise = 0;
    const baseBefore = s[S_BASE];
    const scaleBefore = s[S_BASE_DEV] + floor;
    if (n === 1) {
      s[S_BASE] = value;
    } else {
      const dev = value - s[S_BASE];
      surprise = Math.abs(dev) / (s[S_BASE_DEV] + floor);
      const rate = Math.max(1 / n, this.o.baselineRate);
      s[S_BASE] += rate * dev;
      s[S_BASE_DEV] += rate * (Math.abs(dev) - s[S_BASE_DEV]);
    }
    log10p = Math.min(log10p, this.tail(1, surprise, n));

    // Bonferroni: the smaller of VIEWS p-values, times VIEWS.
    let score = n > WARMUP ? scoreOfLog10(Math.min(0, log10p + Math.log10(VIEWS))) : 0;
    // Level: the unsuppressed score, and while an alarm's episode lasts (at most holdMs), how far
    // the value still is from the baseline as it was before the alarm (Laplace tail in its
    // deviations), so a shift that persists keeps the episode open after the views adapt to it.
    let level = Math.max(score, s[S_LEVEL] * LEVEL_RELEASE);
    if (timestampMs < s[S_REF_UNTIL]) {
      const ref = scoreOfLog10(-Math.LOG10E * (Math.abs(value - s[S_REF_MEAN]) / s[S_REF_SCALE]) + Math.log10(VIEWS));
      if (ref >= this.o.alarmThreshold) {
        level = Math.max(level, ref);
      } else {
        s[S_REF_UNTIL] = -Infinity;
      }
    }
    s[S_LEVEL] = level;
    // One alarm per event: report a score only when it exceeds the alarm memory, which is held
    // for holdMs after the last reported alarm and decays afterwards.
    const held = timestampMs - s[S_RAISED_AT] < this.o.holdMs;
    const memory = held ? s[S_MEMORY] : s[S_MEMORY] * this.o.refractoryDecay;
    if (score > memory) {
      s[S_MEMORY] = score;
      s[S_RAISED_AT] = timestampMs;
    } else {
      s[S_MEMORY] = memory;
      score = 0;
    }
    // Refractory period: after an alarm the caller acts on, the same event is not reported again.
    if (timestampMs - s[S_ALARM_AT] < this.o.refractoryMs) {
      score = 0;
    } else if (score >= this.o.alarmThreshold) {
      s[S_ALARM_AT] = timestampMs;
      s[S_REF_MEAN] = baseBefore;
      s[S_REF_SCALE] = scaleBefore;
      s[S_REF_UNTIL] = timestampMs + this.o.holdMs;
    }
    s[S_LAST_SCORE] = score;
    return score;
  }

  /** log10 of the tail probability of view `v`'s surprise `x` (peaks over threshold on its short-term average); learns. */
  private tail(v: number, x: number, n: number): number {
    const s = this.s;
    const i = S_VIEWS + v * V_SIZE;
    const q = this.o.tailQuantile;
    const u = n === 1 ? x : s[i + V_SHORT] + this.o.shortAlpha * (x - s[i + V_SHORT]);
    s[i + V_SHORT] = u;
    const t = s[i + V_TAIL_AT];
    const sigma = s[i + V_EXCESS] + 0.02 * s[i + V_MEAN] + 1e-6;
    let log10p = 0;
    if (u > t) {
      log10p = Math.log10(1 - q) - (Math.LOG10E * (u - t)) / sigma;
      s[i + V_EXCESS] += 0.02 * (u - t - s[i + V_EXCESS]);
    }
    // Stochastic-approximation quantile: settles where P(u > t) = 1 - q.
    s[i + V_TAIL_AT] += 0.05 * sigma * ((u > t ? 1 : 0) - (1 - q));
    s[i + V_MEAN] += Math.max(1 / n, 0.001) * (u - s[i + V_MEAN]);
    return log10p;
  }

  toState(): DetectorState {
    return { format: DETECTOR_STATE_FORMAT, name: this.name, version: VERSION, options: { ...this.o }, scalars: Array.from(this.s, finiteOrNull), profile: Array.from(this.profile) };
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
      baselineRate: num(o, 'baselineRate'),
      shortAlpha: num(o, 'shortAlpha'),
      tailQuantile: num(o, 'tailQuantile'),
      refractoryDecay: num(o, 'refractoryDecay'),
      holdMs: num(o, 'holdMs'),
      alarmThreshold: num(o, 'alarmThreshold'),
      refractoryMs: num(o, 'refractoryMs'),
    });
    if (!(Number.isInteger(d.o.buckets) && d.o.buckets >= 1 && d.o.buckets <= 1440)) {
      throw new Error('Corrupt detector state: failureprophet bucket count out of range');
    }
    d.s.set(Float64Array.from(numArray(st, 'scalars', S_SIZE), (x, i) => (Number.isNaN(x) ? INFINITE_DEFAULTS[i] ?? NaN : x)));
    d.profile.set(numArray(st, 'profile', d.o.buckets * 3));
    return d;
  }
}

/** JSON has no Infinity: the scalars that start infinite are stored as null and restored from here. */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** For Gaussian noise the standard deviation is sqrt(pi/2) mean absolute deviations. */
const BAND_PER_Z = Math.sqrt(Math.PI / 2);

const S_LAST_T = 0;
const S_LAST_SCORE = 1;
const S_COUNT = 2;
const S_MIN = 3;
const S_MAX = 4;
const S_MEMORY = 5;
const S_PREV = 6;
const S_STEP = 7;
const S_RAISED_AT = 8;
const S_LEVEL = 9;
const S_BASE = 10;
const S_BASE_DEV = 11;
const S_ALARM_AT = 12;
const S_REF_MEAN = 13;
const S_REF_SCALE = 14;
const S_REF_UNTIL = 15;
const S_VIEWS = 16;
/** Per view: short average of the surprise, tail threshold, mean excess, long-run mean. */
const V_SHORT = 0;
const V_TAIL_AT = 1;
const V_EXCESS = 2;
const V_MEAN = 3;
const V_SIZE = 4;
const S_SIZE = S_VIEWS + VIEWS * V_SIZE;
const INFINITE_DEFAULTS: Record<number, number> = { [S_LAST_T]: -Infinity, [S_MIN]: Infinity, [S_MAX]: -Infinity, [S_RAISED_AT]: -Infinity, [S_ALARM_AT]: -Infinity, [S_REF_UNTIL]: -Infinity };
