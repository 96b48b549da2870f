import { scoreOfLog10 } from '../calibration';
import { checkState, DetectorOptions, DetectorState, numArray, stateEnvelope } from '../detector';
import { RECOMMENDED_THRESHOLD } from '../threshold';
import { BAND_Z } from './band';

/** The two views of "normal" failureprophet (v4 and v5) learns, and their alarm memory. */
export interface DailyViewOptions {
  /** Buckets of the daily profile (default 24: one per hour). */
  buckets?: number;
  /**
   * Floor of the learning rate of a bucket's mean and deviation per 5 minutes of data (default
   * 0.1: the rate per sample at a 5-minute step). Rates are time-based (1 - (1 - rate)^(dt / 5 min)),
   * so the profile learns as fast per hour at a 15 s scrape as at 5 minutes.
   */
  profileRate?: number;
  /** Learning rate of the slow all-day baseline's mean and deviation per 5 minutes of data (default 0.01, time-based as profileRate). */
  baselineRate?: number;
  /** Weight of the newest surprise in its short-term average (default 0.5). */
  shortAlpha?: number;
  /** Quantile above which surprises are modelled by an exponential tail (default 0.9). */
  tailQuantile?: number;
  /** Decay of the alarm memory per 5 minutes once the hold is over (default 0.995; time-based as profileRate). */
  refractoryDecay?: number;
  /** The alarm memory is held (not decayed) this long after it was last raised, in ms (default 24 h). */
  holdMs?: number;
  /** Score at which the caller opens an anomaly (default RECOMMENDED_THRESHOLD). */
  alarmThreshold?: number;
  /** After a reported score >= alarmThreshold, nothing more is reported for this long, in ms (default 12 h). */
  refractoryMs?: number;
  /**
   * Longest step, in ms, that counts as elapsed time for learning (default 5 minutes). Finer data
   * learns per unit of time; a coarser series (or a gap) learns per sample as at this step (on NAB,
   * 15 / 30 min caps scored 66-69 against 72-74: its hourly files did better per sample). A step
   * longer than 4 typical steps counts as 4, so a scrape gap does not make the next sample
   * overwrite what was learned.
   */
  maxStepMs?: number;
  /**
   * An hour-of-day bucket alarms (and draws the band) only once it holds this much data, in ms
   * (default 1 h: a full hour, so a bucket first seen mid-hour is not biased by the part it missed);
   * until then the all-day baseline stands in for it.
   */
  bucketLearnMs?: number;
  /** ... and at least this many samples (default 4). */
  bucketLearnSamples?: number;
}

/** Samples, and time in reference steps, learned before any alarm (plus `trainingPoints`). */
const WARMUP = 30;
/** The step the rate options are stated for (NAB's sampling, where the defaults were tuned). */
export const REF_STEP_MS = 300_000;
/** A step longer than this many typical steps is a gap: it counts as this many. */
const GAP_STEPS = 4;
/** A view's tail alarms only after it has calibrated on this many surprises. */
const VIEW_WARMUP = WARMUP;
const MS_DAY = 86_400_000;
/** Views combined: the daily profile and the slow baseline. */
const VIEWS = 2;
/** Release of `level` per 5 minutes (a short peak hold, so an ongoing anomaly does not flicker). */
const LEVEL_RELEASE = 0.9;
/** For Gaussian noise the standard deviation is sqrt(pi/2) mean absolute deviations. */
const BAND_PER_Z = Math.sqrt(Math.PI / 2);
/** Learning rate of the typical step. */
const TYP_RATE = 0.05;

/** ln(1 - rate) per ms for the time-based rates: profile, baseline, memory decay. */
interface ViewRates {
  profile: number;
  base: number;
  memory: number;
}

/** ln(1 - rate) per ms of the level's release. */
const K_LEVEL = Math.log(LEVEL_RELEASE) / REF_STEP_MS;

/**
 * Options and rates by the options' values. Detectors of a watch share one entry (a copy each was
 * about 300 bytes of 100,000 detectors); a per-target threshold (feedback) makes more, so the cache
 * is emptied when it grows past SETTINGS_CACHED (detectors keep the entries they hold).
 */
const settingsCache = new Map<string, { o: Readonly<Required<DailyViewOptions>>; rates: ViewRates }>();
const SETTINGS_CACHED = 1000;

function sharedSettings(o: Required<DailyViewOptions>): { o: Readonly<Required<DailyViewOptions>>; rates: ViewRates } {
  const key = Object.values(o).join(',');
  let found = settingsCache.get(key);
  if (!found) {
    if (settingsCache.size >= SETTINGS_CACHED) {
      settingsCache.clear();
    }
    found = {
      o: Object.freeze(o),
      rates: {
        profile: Math.log(1 - Math.min(o.profileRate, 1 - 1e-12)) / REF_STEP_MS,
        base: Math.log(1 - Math.min(o.baselineRate, 1 - 1e-12)) / REF_STEP_MS,
        memory: Math.log(Math.max(o.refractoryDecay, 1e-300)) / REF_STEP_MS,
      },
    };
    settingsCache.set(key, found);
  }
  return found;
}

/** The infinite slots of a subclass's layout (its own, from a module constant), merged once per subclass. */
const infiniteBySubclass = new WeakMap<Readonly<Record<number, number>>, Readonly<Record<number, number>>>();

function infiniteSlots(own: Readonly<Record<number, number>>): Readonly<Record<number, number>> {
  let merged = infiniteBySubclass.get(own);
  if (!merged) {
    merged = Object.freeze({ ...SHARED_INFINITE, ...own });
    infiniteBySubclass.set(own, merged);
  }
  return merged;
}

/**
 * The two views, as failureprophet describes them: a daily profile (per hour of day a moving mean
 * and mean absolute deviation) and a slow all-day baseline, each surprise turned into a tail
 * probability by peaks over threshold (SPOT), combined by their minimum p with a Bonferroni factor;
 * the unsuppressed `level`, and the alarm memory that reports each event once. Subclasses add
 * their alarm semantics (refractory period, new events) and own `extraSlots` of the scalar state
 * after the shared ones, the views' slots following theirs, so each keeps its state layout.
 */
export abstract class DailyViewsDetector {
  abstract readonly name: string;
  expected = NaN;
  lower = NaN;
  upper = NaN;
  /** The options, shared by every detector built with the same ones (a fleet holds 100,000 detectors). */
  protected readonly o: Readonly<Required<DailyViewOptions>>;
  protected readonly trainingPoints: number;
  /** Scalar state: the shared slots (S_*), the subclass's, then per view V_SIZE slots. */
  protected readonly s: Float64Array;
  /** Per bucket: mean, mean absolute deviation, samples seen, data learned (ms). */
  private readonly profile: Float64Array;
  private readonly viewsAt: number;
  /** The rates derived from the options, shared likewise. */
  private readonly rates: ViewRates;
  /** The slots that start infinite (JSON stores them as null): the shared ones and the subclass's. */
  private readonly infinite: Readonly<Record<number, number>>;
  /** Set by learn(): the learning time of the sample, and the baseline and its scale before it. */
  protected dt = 0;
  protected baseBefore = 0;
  protected scaleBefore = 0;
  /** Set by remember(): the alarm memory the sample was compared with. */
  protected memory = 0;

  protected constructor(
    options: DailyViewOptions & DetectorOptions,
    extraSlots: number,
    infinite: Readonly<Record<number, number>>
  ) {
    const settings = sharedSettings({
      buckets: options.buckets ?? 24,
      profileRate: options.profileRate ?? 0.1,
      baselineRate: options.baselineRate ?? 0.01,
      shortAlpha: options.shortAlpha ?? 0.5,
      tailQuantile: options.tailQuantile ?? 0.9,
      refractoryDecay: options.refractoryDecay ?? 0.995,
      holdMs: options.holdMs ?? 24 * 3_600_000,
      alarmThreshold: options.alarmThreshold ?? RECOMMENDED_THRESHOLD,
      refractoryMs: options.refractoryMs ?? 12 * 3_600_000,
      maxStepMs: options.maxStepMs ?? REF_STEP_MS,
      bucketLearnMs: options.bucketLearnMs ?? 3_600_000,
      bucketLearnSamples: options.bucketLearnSamples ?? 4,
    });
    this.o = settings.o;
    this.rates = settings.rates;
    const tp = options.trainingPoints;
    this.trainingPoints = typeof tp === 'number' && Number.isFinite(tp) && tp > 0 ? Math.floor(tp) : 0;
    this.profile = new Float64Array(this.o.buckets * P_SIZE);
    this.viewsAt = SHARED_SLOTS + extraSlots;
    this.s = new Float64Array(this.viewsAt + VIEWS * V_SIZE);
    this.infinite = infiniteSlots(infinite);
    for (const [slot, start] of Object.entries(this.infinite)) {
      this.s[Number(slot)] = start;
    }
  }

  /**
   * The score without per-event suppression, in [0, 1] on the same scale as `update()`'s. After an
   * alarm it stays at or above `alarmThreshold` while the value stays far from the baseline as it
   * was before the alarm (a step that persists keeps it up, for at most `holdMs`), and otherwise
   * releases by 10% per 5 minutes. Use it to keep an anomaly open and to shade it; open anomalies on
   * `update()`'s return value.
   */
  get level(): number {
    return this.s[S_LEVEL];
  }

  /**
   * True while the detector is still warming up and will not alarm: the first 30 samples and
   * 2.5 hours of data, or the first `trainingPoints` samples if that is more.
   */
  get learning(): boolean {
    const s = this.s;
    return s[S_COUNT] <= Math.max(WARMUP, this.trainingPoints) || s[S_ELAPSED] < WARMUP * REF_STEP_MS;
  }

  /**
   * Learns one present sample in both views and returns their combined score (0 while learning),
   * before any suppression; sets the band, `dt`, `baseBefore` and `scaleBefore`.
   */
  protected learn(timestampMs: number, value: number): number {
    const s = this.s;
    const n = ++s[S_COUNT];
    // Elapsed time that counts for learning: gaps count as GAP_STEPS typical steps, at most maxStepMs.
    let dt = 0;
    if (n > 1) {
      const raw = timestampMs - s[S_LAST_T];
      const typical = s[S_TYP_STEP] > 0 ? s[S_TYP_STEP] : raw;
      dt = Math.min(raw, GAP_STEPS * typical, this.o.maxStepMs);
      s[S_TYP_STEP] = typical + TYP_RATE * (Math.min(raw, GAP_STEPS * typical) - typical);
      s[S_ELAPSED] += dt;
    }
    this.dt = dt;
    s[S_LAST_T] = timestampMs;
    s[S_MIN] = Math.min(s[S_MIN], value);
    s[S_MAX] = Math.max(s[S_MAX], value);
    // Floors keep a perfectly regular series from dividing by zero deviation.
    if (n > 1) {
      s[S_STEP] += Math.max(1 / n, 0.001) * (Math.abs(value - s[S_PREV]) - s[S_STEP]);
    }
    const floor = 1e-3 * (s[S_MAX] - s[S_MIN]) + 1e-9 * (Math.abs(value) + 1) + 0.01 * s[S_STEP];
    s[S_PREV] = value;
    if (n === 2) {
      // The first sample's weight is the first step, known only now.
      s[S_BASE_W] = dt;
      const p0 = this.profile;
      for (let b = 0; b < p0.length; b += P_SIZE) {
        if (p0[b + P_COUNT] > 0) {
          p0[b + P_WEIGHT] = dt;
        }
      }
    }

    // View 1: the daily profile, once the hour-of-day bucket has learned enough.
    const prof = this.profile;
    const b = Math.floor(((((timestampMs % MS_DAY) + MS_DAY) % MS_DAY) * this.o.buckets) / MS_DAY) * P_SIZE;
    let log10p = 0;
    const learned = prof[b + P_COUNT] >= this.o.bucketLearnSamples && prof[b + P_WEIGHT] >= this.o.bucketLearnMs;
    if (learned) {
      const dev = value - prof[b];
      const mad = prof[b + 1] + floor;
      this.setBand(prof[b], mad);
      log10p = this.tail(0, Math.abs(dev) / mad, n, dt);
    }
    if (prof[b + P_COUNT] === 0) {
      prof[b] = value;
      prof[b + 1] = 0;
    } else {
      const dev = value - prof[b];
      const rate = Math.max(dt / (prof[b + P_WEIGHT] + dt), -Math.expm1(this.rates.profile * dt));
      prof[b] += rate * dev;
      prof[b + 1] += rate * (Math.abs(dev) - prof[b + 1]);
    }
    prof[b + P_COUNT]++;
    prof[b + P_WEIGHT] += dt;

    // View 2: the slow all-day baseline.
    let surprise = 0;
    this.baseBefore = s[S_BASE];
    this.scaleBefore = s[S_BASE_DEV] + floor;
    if (n === 1) {
      s[S_BASE] = value;
    } else {
      if (!learned) {
        // The baseline stands in for a bucket that has not learned yet.
        this.setBand(this.baseBefore, this.scaleBefore);
      }
      const dev = value - s[S_BASE];
      surprise = Math.abs(dev) / this.scaleBefore;
      s[S_BASE_W] += dt;
      const rate = Math.max(dt / s[S_BASE_W], -Math.expm1(this.rates.base * dt));
      s[S_BASE] += rate * dev;
      s[S_BASE_DEV] += rate * (Math.abs(dev) - s[S_BASE_DEV]);
    }
    log10p = Math.min(log10p, this.tail(1, surprise, n, dt));

    // Bonferroni: the smaller of VIEWS p-values, times VIEWS, and Sidak-like per unit of time (testsPerStep).
    return this.learning ? 0 : scoreOfLog10(Math.min(0, log10p + Math.log10(VIEWS * this.testsPerStep())));
  }

  /**
   * Probability tests per reference step at this series' sampling: a sample every 15 s is 20 tests
   * per 5 minutes where 5-minute data makes one, so its p-value counts 20 times over; otherwise a
   * fine scrape's noise alone reaches an alarm about once a day. The typical step, so a jittery
   * scrape does not move it; coarser data is not made more sensitive.
   */
  protected testsPerStep(): number {
    return Math.max(1, REF_STEP_MS / Math.max(this.s[S_TYP_STEP], 1));
  }

  /**
   * Level: the unsuppressed score, and while an alarm's episode lasts (at most holdMs), how far
   * the value still is from the baseline as it was before the alarm (Laplace tail in its
   * deviations), so a shift that persists keeps the episode open after the views adapt to it.
   */
  protected raiseLevel(timestampMs: number, value: number, score: number): void {
    const s = this.s;
    let level = Math.max(score, s[S_LEVEL] * Math.exp(K_LEVEL * this.dt));
    if (timestampMs < s[S_REF_UNTIL]) {
      const ref = this.eventScore(value);
      if (ref >= this.o.alarmThreshold) {
        level = Math.max(level, ref);
      } else {
        s[S_REF_UNTIL] = -Infinity;
      }
    }
    s[S_LEVEL] = level;
  }

  /** How abnormal a value is against the baseline before the last alarm (Laplace tail in its deviations). */
  protected eventScore(value: number): number {
    const s = this.s;
    return scoreOfLog10(-Math.LOG10E * (Math.abs(value - s[S_REF_MEAN]) / s[S_REF_SCALE]) + Math.log10(VIEWS));
  }

  /**
   * One alarm per event: a score is reported only when it exceeds the alarm memory, which is held
   * for holdMs after the last reported alarm and decays afterwards; returns it, or 0.
   */
  protected remember(timestampMs: number, score: number): number {
    const s = this.s;
    const held = timestampMs - s[S_RAISED_AT] < this.o.holdMs;
    this.memory = held ? s[S_MEMORY] : s[S_MEMORY] * Math.exp(this.rates.memory * this.dt);
    if (score > this.memory) {
      s[S_MEMORY] = score;
      s[S_RAISED_AT] = timestampMs;
      return score;
    }
    s[S_MEMORY] = this.memory;
    return 0;
  }

  /** An alarm the caller acts on: its episode is measured against the baseline before it. */
  protected openEvent(timestampMs: number): void {
    const s = this.s;
    s[S_ALARM_AT] = timestampMs;
    s[S_REF_MEAN] = this.baseBefore;
    s[S_REF_SCALE] = this.scaleBefore;
    s[S_REF_UNTIL] = timestampMs + this.o.holdMs;
  }

  private setBand(mean: number, mad: number): void {
    this.expected = mean;
    this.lower = mean - BAND_Z * mad * BAND_PER_Z;
    this.upper = mean + BAND_Z * mad * BAND_PER_Z;
  }

  /**
   * log10 of the tail probability of view `v`'s surprise `x` (peaks over threshold on its short-term
   * average); learns. 0 until the view has calibrated on VIEW_WARMUP surprises and WARMUP reference
   * steps of data (a view switched on late, as a bucket of the profile, does not alarm uncalibrated).
   */
  private tail(v: number, x: number, n: number, dt: number): number {
    const s = this.s;
    const i = this.viewsAt + v * V_SIZE;
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
    s[i + V_TIME] += dt;
    return ++s[i + V_COUNT] > VIEW_WARMUP && s[i + V_TIME] >= WARMUP * REF_STEP_MS ? log10p : 0;
  }

  /** The versioned state; `settings` are the options the subclass restores from. */
  protected stateOf(version: number, settings: Record<string, number>): DetectorState {
    return {
      ...stateEnvelope(this.name, version),
      options: settings,
      scalars: Array.from(this.s, finiteOrNull),
      profile: Array.from(this.profile),
    };
  }

  /** Restores the scalars and profile of a checked state (its options already given to the constructor). */
  protected restoreArrays(st: ReturnType<typeof checkState>): void {
    const infinite = this.infinite;
    this.s.set(
      Float64Array.from(numArray(st, 'scalars', this.s.length), (x, i) => (Number.isNaN(x) ? (infinite[i] ?? NaN) : x))
    );
    this.profile.set(numArray(st, 'profile', this.o.buckets * P_SIZE));
  }
}

/** JSON has no Infinity: the scalars that start infinite are stored as null and restored from `infinite`. */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export const S_LAST_T = 0;
export const S_LAST_SCORE = 1;
export const S_COUNT = 2;
const S_MIN = 3;
const S_MAX = 4;
export const S_MEMORY = 5;
export const S_PREV = 6;
const S_STEP = 7;
export const S_RAISED_AT = 8;
export const S_LEVEL = 9;
const S_BASE = 10;
const S_BASE_DEV = 11;
export const S_ALARM_AT = 12;
export const S_REF_MEAN = 13;
export const S_REF_SCALE = 14;
const S_REF_UNTIL = 15;
export const S_TYP_STEP = 16;
const S_ELAPSED = 17;
const S_BASE_W = 18;
/** The first slot a subclass may use. */
export const SHARED_SLOTS = 19;
const SHARED_INFINITE: Record<number, number> = {
  [S_LAST_T]: -Infinity,
  [S_MIN]: Infinity,
  [S_MAX]: -Infinity,
  [S_RAISED_AT]: -Infinity,
  [S_ALARM_AT]: -Infinity,
  [S_REF_UNTIL]: -Infinity,
};
/** Per view: short average of the surprise, tail threshold, mean excess, long-run mean. */
const V_SHORT = 0;
const V_TAIL_AT = 1;
const V_EXCESS = 2;
const V_MEAN = 3;
/** Surprises the view's tail has learned from (it alarms only after VIEW_WARMUP). */
const V_COUNT = 4;
/** ... and the data, in ms, behind them (it alarms only after WARMUP reference steps of it). */
const V_TIME = 5;
const V_SIZE = 6;
/** Per bucket of the profile: mean (0), mean absolute deviation (1), samples, data learned in ms. */
const P_COUNT = 2;
const P_WEIGHT = 3;
const P_SIZE = 4;
