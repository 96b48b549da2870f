import { LastValueMemo } from './lastValueMemo';

/**
 * The options of DailyViewsDetector and the rates derived from them, shared by the detectors
 * that have the same options.
 */

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
  /**
   * Series time learned before any alarm, in ms, besides the first 30 samples (default LEARNING_MS,
   * 2.5 hours): a caller with its own, shorter learning period (a watch's probation) sets it, so a
   * gross fault after that period is called rather than learned as the range seen.
   */
  learningMs?: number;
}

/**
 * The options as a detector holds them: each one's value, `learningMs` only when it is not the
 * default (LEARNING_MS), so the options a default detector saves in its state are as before it.
 */
export type DailyViewSettings = Required<Omit<DailyViewOptions, 'learningMs'>> & Pick<DailyViewOptions, 'learningMs'>;

/** The step the rate options are stated for (NAB's sampling, where the defaults were tuned). */
export const REF_STEP_MS = 300_000;

/**
 * The time-based rates over a step of dt ms (`of(dt)`): a profile bucket's and the baseline's
 * learning rate, 1 - (1 - rate)^(dt / REF_STEP_MS), and the alarm memory's decay,
 * refractoryDecay^(dt / REF_STEP_MS); each remembered for the last dt (LastValueMemo).
 */
export interface ViewRates {
  profile: LastValueMemo;
  base: LastValueMemo;
  memory: LastValueMemo;
}

/**
 * Options and rates by the options' values. Detectors of a watch share one entry (a copy each was
 * about 300 bytes of 100,000 detectors); a per-target threshold (feedback) makes more, so the cache
 * is emptied when it grows past SETTINGS_CACHED (detectors keep the entries they hold).
 */
const settingsCache = new Map<string, { o: Readonly<DailyViewSettings>; rates: ViewRates }>();
const SETTINGS_CACHED = 1000;

export function sharedSettings(o: DailyViewSettings): {
  o: Readonly<DailyViewSettings>;
  rates: ViewRates;
} {
  const key = Object.values(o).join(',');
  let found = settingsCache.get(key);
  if (!found) {
    if (settingsCache.size >= SETTINGS_CACHED) {
      settingsCache.clear();
    }
    found = {
      o: Object.freeze(o),
      rates: {
        profile: learningRate(o.profileRate),
        base: learningRate(o.baselineRate),
        memory: decay(Math.max(o.refractoryDecay, 1e-300)),
      },
    };
    settingsCache.set(key, found);
  }
  return found;
}

/** ln(x) per ms of REF_STEP_MS: x^(dt / REF_STEP_MS) is exp(lnPerMs(x) * dt). */
function lnPerMs(x: number): number {
  return Math.log(x) / REF_STEP_MS;
}

/** x^(dt / REF_STEP_MS) as a function of dt. */
function decay(x: number): LastValueMemo {
  const k = lnPerMs(x);
  return new LastValueMemo((dt) => Math.exp(k * dt));
}

/** 1 - (1 - rate)^(dt / REF_STEP_MS) as a function of dt. */
function learningRate(rate: number): LastValueMemo {
  const k = lnPerMs(1 - Math.min(rate, 1 - 1e-12));
  return new LastValueMemo((dt) => -Math.expm1(k * dt));
}
