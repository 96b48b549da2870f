import type { z } from 'zod';
import { scoreOfLog10 } from './calibration';
import { checkState, DetectorOptions, DetectorState, StreamingDetector } from './detector';
import { decodeStoredOptions, FAILUREPROPHET_V5_SETTINGS } from './options';
import { ByteReader, ByteWriter } from './shared/bytes';
import { DailyViewsDetector } from './shared/dailyViews';
import { LastValueMemo } from './shared/lastValueMemo';
import { DailyViewOptions, REF_STEP_MS } from './shared/dailyViewsSettings';
import * as layout from './shared/dailyViewsLayout';

/**
 * The state layout, bound here once: run by tsx (CommonJS), each read of an imported binding is
 * two getter calls of esbuild's interop, megamorphic over the layout's names (40% of update()).
 */
const { S_ALARM_AT, S_COUNT, S_LAST_SCORE, S_MEMORY, S_PREV, S_RAISED_AT, S_REF_MEAN, S_TYP_STEP, SHARED_SLOTS } =
  layout;

export interface FailureProphetV5Options extends DetectorOptions, DailyViewOptions {
  /**
   * While an event is kept quiet, a sample is a new event (reported at once) when it lies further
   * from the pre-alarm baseline than this many times the event's farthest excursion on its side
   * (default 2); any abnormal excursion on the side the event never went is new too.
   */
  newEventFactor?: number;
}

const VERSION = 5;
/** Forgetting of the run statistics (flat and missing) per 5 minutes: about 1,000 reference steps. */
const RUN_MEMORY = 0.999;
/** A run (unchanged value, missing samples) is called only after this many samples of it. */
const MIN_RUN = 3;
/** Longest missing run the statistics learn from (samples). */
const MISSING_CAP = 2 * MIN_RUN;
/** The run statistics' memory: the time over which they forget all but 1/e of what they saw (~3.5 days). */
export const RUN_MEMORY_MS = REF_STEP_MS / -Math.log(RUN_MEMORY);
/** Decay of the run statistics over dt ms, exp(-dt / RUN_MEMORY_MS): one exp a step for every view that decays so. */
export const runDecay = new LastValueMemo((dt) => Math.exp((Math.log(RUN_MEMORY) / REF_STEP_MS) * dt));

/**
 * The product's detector until it was joined by a bounded ARTime (issue 12), kept as
 * `failureprophet-v5` for comparison and as the part of `failureprophet` that sees levels, runs and
 * new events (FailureProphetDetector): an ensemble of two views of "normal", each turned into a calibrated tail
 * probability and combined on the shared -log10(p) scale, plus two run views (a value stuck flat,
 * a series that stops), with one alarm per event that never hides a new one.
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
 *
 * A quiet event never hides a new one (issue 12: 26% of gross faults went unflagged for a day
 * behind an earlier alarm): while an event is kept quiet, an abnormal sample further from the
 * pre-alarm baseline than `newEventFactor` times the event's farthest excursion on its side, or on
 * a side the event never went, is reported at once and the event grows to include it. The run
 * views have their own one-alarm-per-run: a value unchanged for MIN_RUN or more steps (a stuck
 * exporter, a counter that stopped) and a run of missing samples (NaN: callers pass it for a step with no sample)
 * score by how unlikely such a run is given the series' own runs (decayed counts, Laplace prior:
 * P(a run starts) * P(it lasts k) with a geometric length), so a series that always repeats its
 * value or often misses samples does not alarm on it.
 */
export class FailureProphetV5Detector extends DailyViewsDetector implements StreamingDetector {
  readonly name = 'failureprophet-v5';
  private readonly newEventFactor: number;

  constructor(options: FailureProphetV5Options = {}) {
    super(options, SLOTS, INFINITE_SLOTS);
    this.newEventFactor = options.newEventFactor ?? 2;
  }

  /** The views' level (DailyViewsDetector), raised by a flat or missing run's score. */
  override get level(): number {
    return Math.max(super.level, this.s[S_FLAT_SCORE], this.s[S_MISS_SCORE]);
  }

  /**
   * The flat run view's level alone (0 outside a run of MIN_RUN or more, or one that began while
   * learning): for a detector that reads only the run views (failureprophet-leaders).
   */
  get flatRunLevel(): number {
    return this.s[S_FLAT_SCORE];
  }

  /** The missing run view's level alone, as flatRunLevel. */
  get missingRunLevel(): number {
    return this.s[S_MISS_SCORE];
  }

  update(timestampMs: number, value: number): number {
    const s = this.s;
    if (!(timestampMs > s[S_SEEN_T])) {
      return s[S_LAST_SCORE];
    }
    if (!Number.isFinite(value)) {
      return this.missing(timestampMs);
    }
    const runScore = this.runs(timestampMs, value);
    const unsuppressed = this.learn(timestampMs, value);
    this.raiseLevel(timestampMs, value, unsuppressed);
    let score = this.remember(timestampMs, unsuppressed);
    const memory = this.memory;
    // Refractory period: after an alarm the caller acts on, the same event is not reported again.
    const refractory = timestampMs - s[S_ALARM_AT] < this.o.refractoryMs;
    if (refractory) {
      score = 0;
    }
    // ... unless this sample is a new event: abnormal, and beyond what the quiet event reached.
    const quiet = s[S_EP_OPEN] === 1 && (refractory || memory >= this.o.alarmThreshold);
    const d = value - s[S_REF_MEAN];
    if (quiet && score < this.o.alarmThreshold && unsuppressed >= this.o.alarmThreshold) {
      const reach = d > 0 ? s[S_EP_UP] : s[S_EP_DOWN];
      // The sample itself must be abnormal against the pre-alarm baseline: the views' score is
      // averaged over a few samples, and the first normal value after a spike still carries it.
      if (Math.abs(d) > this.newEventFactor * reach && this.eventScore(value) >= this.o.alarmThreshold) {
        score = unsuppressed;
        s[S_MEMORY] = Math.max(s[S_MEMORY], score);
        s[S_RAISED_AT] = timestampMs;
        s[S_ALARM_AT] = timestampMs;
      }
    } else if (score >= this.o.alarmThreshold) {
      // A new event: its baseline is the one before it, its reach so far this sample's.
      this.openEvent(timestampMs);
      s[S_EP_OPEN] = 1;
      s[S_EP_UP] = 0;
      s[S_EP_DOWN] = 0;
    } else if (!quiet) {
      s[S_EP_OPEN] = 0;
    }
    if (s[S_EP_OPEN] === 1) {
      const e = value - s[S_REF_MEAN];
      s[S_EP_UP] = Math.max(s[S_EP_UP], e);
      s[S_EP_DOWN] = Math.max(s[S_EP_DOWN], -e);
    }
    score = Math.max(score, runScore);
    s[S_LAST_SCORE] = score;
    return score;
  }

  /**
   * log10 of how unlikely a run of length k is given the runs before it (decayed counts of samples,
   * runs and samples in runs; Laplace priors): f^(k / L) for a rate f of run samples and a mean run
   * length L, i.e. k / L independent run-sized draws, so a series whose runs are long and frequent
   * needs a proportionally longer one.
   */
  private runLog10p(k: number, samples: number, runs: number, inRuns: number): number {
    const f = (inRuns + 1) / (samples + 2);
    const meanLength = (inRuns + 1) / (runs + 1);
    return (k / meanLength) * Math.log10(f);
  }

  /**
   * Run score of a run of length k (0 below MIN_RUN or while learning); reported once per run:
   * `alarmed` is the state slot that remembers the run has been reported.
   */
  private runScore(k: number, log10p: number, alarmed: number): { level: number; reported: number } {
    const s = this.s;
    // A run that began while learning (e.g. a series flat from the start) is how the series is.
    if (k < MIN_RUN || this.learning || s[alarmed] === -1) {
      return { level: 0, reported: 0 };
    }
    const level = scoreOfLog10(Math.min(0, log10p + Math.log10(this.testsPerStep())));
    if (level >= this.o.alarmThreshold && s[alarmed] === 0) {
      s[alarmed] = 1;
      return { level, reported: level };
    }
    return { level, reported: 0 };
  }

  /** A missing sample (NaN or infinite value): extends the missing run and scores it. */
  private missing(timestampMs: number): number {
    const s = this.s;
    const dt = s[S_TYP_STEP] > 0 ? Math.min(timestampMs - s[S_SEEN_T], this.o.maxStepMs) : 0;
    s[S_SEEN_T] = timestampMs;
    if (s[S_COUNT] === 0) {
      return 0;
    }
    const decay = runDecay.of(dt);
    s[S_MISS_SAMPLES] *= decay;
    s[S_MISS_IN_RUNS] *= decay;
    s[S_MISS_RUNS] *= decay;
    if (s[S_MISS_RUN] === 0 && this.learning) {
      s[S_MISS_ALARMED] = -1;
    }
    // The run's own samples join the statistics when it ends (runs()), so it is judged by the past.
    const k = ++s[S_MISS_RUN];
    const lp = this.runLog10p(k, s[S_MISS_SAMPLES], s[S_MISS_RUNS], s[S_MISS_IN_RUNS]);
    const r = this.runScore(k, lp, S_MISS_ALARMED);
    s[S_MISS_SCORE] = r.level;
    s[S_LAST_SCORE] = r.reported;
    return r.reported;
  }

  /**
   * A present sample: ends a missing run and extends or ends the run of unchanged values; returns
   * the run views' reported score.
   */
  private runs(timestampMs: number, value: number): number {
    const s = this.s;
    let reported = 0;
    const typical = s[S_TYP_STEP];
    const sinceSeen = timestampMs - s[S_SEEN_T];
    s[S_SEEN_T] = timestampMs;
    if (s[S_COUNT] > 0 && typical > 0) {
      const decay = runDecay.of(Math.min(sinceSeen, this.o.maxStepMs));
      // A missing run ends: it joins the statistics. Only NaN counts as missing, not a gap in the
      // timestamps: irregularly sampled series (NAB's rogue_agent, ambient_temperature) gap as a
      // habit, and inferring missing samples from them cost 1.5 points on the dev files.
      // A past outage counts as at most MISSING_CAP samples: one long outage must not teach the
      // detector that the next one is normal.
      const missed = Math.min(s[S_MISS_RUN], MISSING_CAP);
      s[S_MISS_SAMPLES] = s[S_MISS_SAMPLES] * decay + 1 + missed;
      s[S_MISS_RUNS] = s[S_MISS_RUNS] * decay + (missed > 0 ? 1 : 0);
      s[S_MISS_IN_RUNS] = s[S_MISS_IN_RUNS] * decay + missed;
      // Unchanged value: a flat run (a step of exactly 0), judged by the runs before it.
      s[S_FLAT_STEPS] *= decay;
      s[S_FLAT_IN_RUNS] *= decay;
      s[S_FLAT_RUNS] *= decay;
      if (value === s[S_PREV]) {
        if (s[S_FLAT_RUN] === 0 && this.learning) {
          s[S_FLAT_ALARMED] = -1;
        }
        const k = ++s[S_FLAT_RUN];
        const lp = this.runLog10p(k, s[S_FLAT_STEPS], s[S_FLAT_RUNS], s[S_FLAT_IN_RUNS]);
        const r = this.runScore(k, lp, S_FLAT_ALARMED);
        s[S_FLAT_SCORE] = r.level;
        reported = Math.max(reported, r.reported);
      } else {
        const k = s[S_FLAT_RUN];
        s[S_FLAT_STEPS] += 1 + k;
        s[S_FLAT_IN_RUNS] += k;
        s[S_FLAT_RUNS] += k > 0 ? 1 : 0;
        s[S_FLAT_RUN] = 0;
        s[S_FLAT_ALARMED] = 0;
        s[S_FLAT_SCORE] = 0;
      }
    }
    s[S_MISS_RUN] = 0;
    s[S_MISS_ALARMED] = 0;
    s[S_MISS_SCORE] = 0;
    return reported;
  }

  /** Every option, as its state stores them (`learningMs` only when it is not the default). */
  settings(): Settings {
    return { ...this.o, newEventFactor: this.newEventFactor, trainingPoints: this.trainingPoints };
  }

  toState(): DetectorState {
    return this.stateOf(VERSION, this.settings());
  }

  /**
   * A state of `failureprophet-v5`, or of `failureprophet` as builds before issue 12 saved it (the
   * same detector under the product's name: `legacy`).
   */
  static fromState(state: unknown, legacy = false): FailureProphetV5Detector {
    const name = legacy ? 'failureprophet' : 'failureprophet-v5';
    const st = checkState(state, name, VERSION);
    const d = new FailureProphetV5Detector(decodeStoredOptions(FAILUREPROPHET_V5_SETTINGS, st.options, name));
    d.restoreArrays(st);
    return d;
  }

  /**
   * Options, scalars and profile in one packed field (ByteWriter.nums, exact; options in the order
   * of FAILUREPROPHET_V5_SETTINGS): how `failureprophet` stores this part, about half the JSON.
   * `learningMs` is not packed (the format predates it): a holder that takes it keeps it itself
   * (`learningMs`) and hands it back to fromPacked.
   */
  toPacked(): string {
    const settings = this.settings();
    const w = new ByteWriter().nums(PACKED_NAMES.map((k) => settings[k]));
    this.writeArrays(w);
    return w.toBase64();
  }

  static fromPacked(text: unknown, field: string, learningMs?: number): FailureProphetV5Detector {
    const r = new ByteReader(text, field);
    const values = r.nums(PACKED_NAMES.length);
    const options = decodeStoredOptions(
      FAILUREPROPHET_V5_SETTINGS,
      { ...Object.fromEntries(PACKED_NAMES.map((k, i) => [k, values[i]])), learningMs },
      'failureprophet-v5'
    );
    const d = new FailureProphetV5Detector(options);
    d.readArrays(r);
    r.end();
    return d;
  }
}

type Settings = z.output<typeof FAILUREPROPHET_V5_SETTINGS>;
/** The options packed, in order: all but `learningMs`. */
const PACKED_NAMES = (Object.keys(FAILUREPROPHET_V5_SETTINGS.shape) as Array<keyof Settings>).filter(
  (k): k is Exclude<keyof Settings, 'learningMs'> => k !== 'learningMs'
);

/** The last call's time, a missing sample's included (S_LAST_T: the last present sample's). */
const S_SEEN_T = SHARED_SLOTS;
/** The current event: 1 while it is kept quiet, and its farthest excursions above and below its baseline. */
const S_EP_OPEN = 20;
const S_EP_UP = 21;
const S_EP_DOWN = 22;
/**
 * Flat runs: current length, reported yet (1; -1: began while learning, never reported), score;
 * decayed counts of steps, runs and steps in runs before the current run.
 */
const S_FLAT_RUN = 23;
const S_FLAT_ALARMED = 24;
const S_FLAT_SCORE = 25;
const S_FLAT_STEPS = 26;
const S_FLAT_RUNS = 27;
const S_FLAT_IN_RUNS = 28;
/** Missing runs: the same for missing samples. */
const S_MISS_RUN = 29;
const S_MISS_ALARMED = 30;
const S_MISS_SCORE = 31;
const S_MISS_SAMPLES = 32;
const S_MISS_RUNS = 33;
const S_MISS_IN_RUNS = 34;
/** Slots this detector adds to the shared ones. */
const SLOTS = S_MISS_IN_RUNS + 1 - SHARED_SLOTS;
/** Its slots that start infinite: one object for every detector. */
const INFINITE_SLOTS: Readonly<Record<number, number>> = { [S_SEEN_T]: -Infinity };
