import { scoreOfLog10 } from '../calibration';
import { checkState, DetectorOptions, DetectorState, numArray, stateEnvelope } from '../detector';
import { RECOMMENDED_THRESHOLD } from '../threshold';
import { modelRegion } from './arrays';
import { BAND_Z, bandValue } from './band';
import { ByteReader, ByteWriter } from './bytes';
import * as layout from './dailyViewsLayout';
import { DailyViewOptions, DailyViewSettings, REF_STEP_MS, sharedSettings, ViewRates } from './dailyViewsSettings';
import { LastValueMemo } from './lastValueMemo';

/**
 * The state layout, bound here once: run by tsx (CommonJS), each read of an imported binding is
 * two getter calls of esbuild's interop, megamorphic over the layout's names (40% of update()).
 */
const {
  P_COUNT,
  P_SIZE,
  P_WEIGHT,
  SHARED_SLOTS,
  S_ALARM_AT,
  S_BASE,
  S_BASE_DEV,
  S_BASE_W,
  S_COUNT,
  S_ELAPSED,
  S_LAST_T,
  S_LEVEL,
  S_MAX,
  S_MEMORY,
  S_MIN,
  S_PREV,
  S_RAISED_AT,
  S_REF_MEAN,
  S_REF_SCALE,
  S_REF_UNTIL,
  S_STEP,
  S_TYP_STEP,
  V_COUNT,
  V_EXCESS,
  V_MEAN,
  V_SHORT,
  V_SIZE,
  V_TAIL_AT,
  V_TIME,
  infiniteSlots,
} = layout;

/** Samples, and time in reference steps, learned before any alarm (plus `trainingPoints`). */
const WARMUP = 30;
/** Series time learned before any alarm unless the options say otherwise (`learningMs`): 2.5 hours. */
export const LEARNING_MS = WARMUP * REF_STEP_MS;
/** A step longer than this many typical steps is a gap: it counts as this many. */
const GAP_STEPS = 4;
/** A view's tail alarms only after it has calibrated on this many surprises. */
const VIEW_WARMUP = WARMUP;
const MS_DAY = 86_400_000;
/**
 * What learn() and remember() hand to the rest of the same update(): the sample's learning time, the
 * baseline and its scale before it, the alarm memory it was compared with. Written before they are
 * read within one call (single-threaded), so every detector shares them: kept as fields they were
 * four boxed numbers in each of a fleet's 100,000 detectors.
 */
const STEP_SCRATCH = new Float64Array(4);
const DT = 0;
const BASE_BEFORE = 1;
const SCALE_BEFORE = 2;
const MEMORY = 3;
/** Views combined: the daily profile and the slow baseline. */
const VIEWS = 2;
/** Release of `level` per 5 minutes (a short peak hold, so an ongoing anomaly does not flicker). */
const LEVEL_RELEASE = 0.9;
/** For Gaussian noise the standard deviation is sqrt(pi/2) mean absolute deviations. */
const BAND_PER_Z = Math.sqrt(Math.PI / 2);
/** Learning rate of the typical step. */
const TYP_RATE = 0.05;

/** ln(1 - rate) per ms of the level's release. */
const K_LEVEL = Math.log(LEVEL_RELEASE) / REF_STEP_MS;
/** The level's release over dt ms. */
const levelRelease = new LastValueMemo((dt) => Math.exp(K_LEVEL * dt));
/** log10 of the Bonferroni factor of VIEWS views at a number of tests per reference step. */
const log10Tests = new LastValueMemo((tests) => Math.log10(VIEWS * tests));

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
  /** The options, shared by every detector built with the same ones (a fleet holds 100,000 detectors). */
  protected readonly o: Readonly<DailyViewSettings>;
  protected readonly trainingPoints: number;
  /**
   * State: the shared slots (S_*), the subclass's, per view V_SIZE slots, then the profile (profileAt);
   * then, not stored, the last sample's band (bandAt: expected value, lower, upper; not boxed fields).
   */
  protected readonly s: Float64Array;
  /**
   * Where the profile starts in `s` (one view, not two: a view is ~0.1 kB of heap): per bucket mean,
   * mean absolute deviation, samples seen, data learned (ms).
   */
  private readonly profileAt: number;
  private readonly bandAt: number;
  private readonly viewsAt: number;
  /** The rates derived from the options, shared likewise. */
  private readonly rates: ViewRates;
  /** The slots that start infinite (JSON stores them as null): the shared ones and the subclass's. */
  private readonly infinite: Readonly<Record<number, number>>;
  /** Set by remember(): the alarm memory the sample was compared with (read within the same update). */
  protected get memory(): number {
    return STEP_SCRATCH[MEMORY];
  }

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
      // Only when not the default: a default detector's options, and so its state, are as before it.
      ...(options.learningMs !== undefined && options.learningMs !== LEARNING_MS
        ? { learningMs: options.learningMs }
        : {}),
    });
    this.o = settings.o;
    this.rates = settings.rates;
    const tp = options.trainingPoints;
    this.trainingPoints = typeof tp === 'number' && Number.isFinite(tp) && tp > 0 ? Math.floor(tp) : 0;
    this.viewsAt = SHARED_SLOTS + extraSlots;
    // Views on one region (arrays.ts).
    const slots = this.viewsAt + VIEWS * V_SIZE;
    this.profileAt = slots;
    this.bandAt = slots + this.o.buckets * P_SIZE;
    const { buffer, offset } = modelRegion(8 * (this.bandAt + BAND_SLOTS));
    this.s = new Float64Array(buffer, offset, this.bandAt + BAND_SLOTS);
    this.s.fill(NaN, this.bandAt);
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
   * `learningMs` of data (2.5 hours by default), or the first `trainingPoints` samples if that is more.
   */
  get learning(): boolean {
    const s = this.s;
    return s[S_COUNT] <= Math.max(WARMUP, this.trainingPoints) || s[S_ELAPSED] < this.learningMs;
  }

  /** Series time it learns before any alarm (the option `learningMs`, or LEARNING_MS). */
  get learningMs(): number {
    return this.o.learningMs ?? LEARNING_MS;
  }

  /**
   * Learns one present sample in both views and returns their combined score (0 while learning),
   * before any suppression; sets the band and STEP_SCRATCH's learning time, baseline and scale.
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
    STEP_SCRATCH[DT] = dt;
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
      for (let b = this.profileAt; b < s.length; b += P_SIZE) {
        if (s[b + P_COUNT] > 0) {
          s[b + P_WEIGHT] = dt;
        }
      }
    }

    // View 1: the daily profile, once the hour-of-day bucket has learned enough.
    const b =
      this.profileAt + Math.floor(((((timestampMs % MS_DAY) + MS_DAY) % MS_DAY) * this.o.buckets) / MS_DAY) * P_SIZE;
    let log10p = 0;
    const learned = s[b + P_COUNT] >= this.o.bucketLearnSamples && s[b + P_WEIGHT] >= this.o.bucketLearnMs;
    if (learned) {
      const dev = value - s[b];
      const mad = s[b + 1] + floor;
      this.setBand(s[b], mad);
      log10p = this.tail(0, Math.abs(dev) / mad, n, dt);
    }
    if (s[b + P_COUNT] === 0) {
      s[b] = value;
      s[b + 1] = 0;
    } else {
      const dev = value - s[b];
      const rate = Math.max(dt / (s[b + P_WEIGHT] + dt), this.rates.profile.of(dt));
      s[b] += rate * dev;
      s[b + 1] += rate * (Math.abs(dev) - s[b + 1]);
    }
    s[b + P_COUNT]++;
    s[b + P_WEIGHT] += dt;

    // View 2: the slow all-day baseline.
    let surprise = 0;
    STEP_SCRATCH[BASE_BEFORE] = s[S_BASE];
    STEP_SCRATCH[SCALE_BEFORE] = s[S_BASE_DEV] + floor;
    if (n === 1) {
      s[S_BASE] = value;
    } else {
      if (!learned) {
        // The baseline stands in for a bucket that has not learned yet.
        this.setBand(STEP_SCRATCH[BASE_BEFORE], STEP_SCRATCH[SCALE_BEFORE]);
      }
      const dev = value - s[S_BASE];
      surprise = Math.abs(dev) / STEP_SCRATCH[SCALE_BEFORE];
      s[S_BASE_W] += dt;
      const rate = Math.max(dt / s[S_BASE_W], this.rates.base.of(dt));
      s[S_BASE] += rate * dev;
      s[S_BASE_DEV] += rate * (Math.abs(dev) - s[S_BASE_DEV]);
    }
    log10p = Math.min(log10p, this.tail(1, surprise, n, dt));

    // Bonferroni: the smaller of VIEWS p-values, times VIEWS, and Sidak-like per unit of time (testsPerStep).
    return this.learning ? 0 : scoreOfLog10(Math.min(0, log10p + log10Tests.of(this.testsPerStep())));
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
    let level = Math.max(score, s[S_LEVEL] * levelRelease.of(STEP_SCRATCH[DT]));
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
    const memory = held ? s[S_MEMORY] : s[S_MEMORY] * this.rates.memory.of(STEP_SCRATCH[DT]);
    STEP_SCRATCH[MEMORY] = memory;
    if (score > memory) {
      s[S_MEMORY] = score;
      s[S_RAISED_AT] = timestampMs;
      return score;
    }
    s[S_MEMORY] = memory;
    return 0;
  }

  /** An alarm the caller acts on: its episode is measured against the baseline before it. */
  protected openEvent(timestampMs: number): void {
    const s = this.s;
    s[S_ALARM_AT] = timestampMs;
    s[S_REF_MEAN] = STEP_SCRATCH[BASE_BEFORE];
    s[S_REF_SCALE] = STEP_SCRATCH[SCALE_BEFORE];
    s[S_REF_UNTIL] = timestampMs + this.o.holdMs;
  }

  // Reported saturated (bandValue): the state keeps the band as computed.
  get expected(): number {
    return bandValue(this.s[this.bandAt]);
  }

  get lower(): number {
    return bandValue(this.s[this.bandAt + 1]);
  }

  get upper(): number {
    return bandValue(this.s[this.bandAt + 2]);
  }

  private setBand(mean: number, mad: number): void {
    const s = this.s;
    const at = this.bandAt;
    s[at] = mean;
    s[at + 1] = mean - BAND_Z * mad * BAND_PER_Z;
    s[at + 2] = mean + BAND_Z * mad * BAND_PER_Z;
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
      scalars: Array.from(this.s.subarray(0, this.profileAt), finiteOrNull),
      profile: Array.from(this.s.subarray(this.profileAt, this.bandAt)),
    };
  }

  /** The scalars and profile packed (ByteWriter.nums, exact): how a detector that holds this one stores them. */
  protected writeArrays(w: ByteWriter): void {
    w.nums(this.s.subarray(0, this.bandAt));
  }

  /** What `writeArrays` wrote (the options already given to the constructor). */
  protected readArrays(r: ByteReader): void {
    this.s.set(r.nums(this.bandAt));
  }

  /** Restores the scalars and profile of a checked state (its options already given to the constructor). */
  protected restoreArrays(st: ReturnType<typeof checkState>): void {
    const infinite = this.infinite;
    this.s.set(
      Float64Array.from(numArray(st, 'scalars', this.profileAt), (x, i) => (Number.isNaN(x) ? (infinite[i] ?? NaN) : x))
    );
    this.s.set(numArray(st, 'profile', this.o.buckets * P_SIZE), this.profileAt);
  }
}

/** Slots after the profile: the band of the last sample (expected value, lower, upper). */
const BAND_SLOTS = 3;

/** JSON has no Infinity: the scalars that start infinite are stored as null and restored from `infinite`. */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
