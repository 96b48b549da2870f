import { z } from 'zod';
import { ARTIME_RANGE_SEEN, ArtimeDetector } from './artime';
import { checkState, DetectorState, stateEnvelope, StreamingDetector } from './detector';
import { FailureProphetV5Detector, FailureProphetV5Options } from './failureprophetV5';
import { GrossRangeView } from './grossRange';
import { isRecord, stateIssues } from './shared/json';

export interface FailureProphetLeadersOptions extends FailureProphetV5Options {
  /** What the bounded ARTime's score counts for (default LEADERS_ARTIME_WEIGHT). */
  artimeWeight?: number;
  /** The bounded ARTime's most categories (default PRODUCT_CATEGORIES). */
  maxCategories?: number;
  /** A value is a gross fault beyond the range seen by this many of its widths (default GROSS_SPANS). */
  grossSpans?: number;
  /** The bounded ARTime on the range seen, re-expressed as it moves (ARTIME_RANGE_SEEN); default off (`failureprophet`: on). */
  artimeRescale?: boolean;
}

/**
 * Categories of the bounded ARTime: chosen by `npm run nab:tune` on the dev files among the bounds
 * whose state fits 4 KiB (RESULTS.md, issue 12: with v6's weight, and again for this detector, det24).
 */
export const PRODUCT_CATEGORIES = 24;

/** A fresh bounded ARTime as the product's detectors build it (PRODUCT_CATEGORIES unless told; ARTIME_RANGE_SEEN with `rescale`). */
export function boundedArtime(options: {
  trainingPoints?: number;
  maxCategories?: number;
  rescale: boolean;
}): ArtimeDetector {
  return ArtimeDetector.bounded({
    trainingPoints: options.trainingPoints,
    maxCategories: options.maxCategories ?? PRODUCT_CATEGORIES,
    ...(options.rescale ? ARTIME_RANGE_SEEN : {}),
  });
}

/**
 * The bounded ARTime's weight: a scale, not a tuned setting. The reported score is the larger of a
 * weighted ARTime score and a fault call (1), so NAB's threshold sweep gives the same alarms for
 * every weight; the weight only puts ARTime's dev threshold at the product's RECOMMENDED_THRESHOLD
 * (0.24 / 0.0977, ARTime's own dev threshold at 24 categories on all three profiles; RESULTS.md, det12a).
 */
export const LEADERS_ARTIME_WEIGHT = 2.5;

/** Range widths beyond the range seen that make a value a gross fault: chosen by nab:tune LOCO (RESULTS.md). */
export const GROSS_SPANS = 0.25;

/** A fault call's score: a gross fault is certain, above any threshold. */
export const FAULT_SCORE = 1;

const NAME = 'failureprophet-leaders';
/**
 * `failureprophet` (v9, the product since stop 29; det24's `failureprophet-leaders-seen`): the same
 * detector with its bounded ARTime on the range seen, re-expressed as it moves, instead of the clamped
 * probation range: on the dev files its alarms are closer to the hinted ARTime's, the published
 * method. Its bound and weight, re-chosen on the dev files by the leaders' rules, are the leaders'
 * defaults (RESULTS.md, det24 and "failureprophet v9").
 */
const PRODUCT_NAME = 'failureprophet';
type LeadersName = typeof NAME | typeof PRODUCT_NAME;
/** State versions by name: the product's follow its earlier detectors' (v5, v6: FailureProphetDetector migrates them). */
const VERSIONS: Record<LeadersName, number> = { [NAME]: 1, [PRODUCT_NAME]: 9 };

/** This detector's own fields in its state; its members' fields are checked by their own readers. */
const LEADERS_STATE = z.object({
  weight: z.number().min(0),
  lastArtime: z.number().min(0).max(1),
  /** The weighted score of ARTime's last down-sampled window, held until the next (absent, as saved before: lastArtime). */
  heldArtime: z.number().min(0).max(1).optional(),
  lastFault: z.number().min(0).max(1),
  flatCalled: z.boolean(),
  missingCalled: z.boolean(),
  seenAt: z.number().nullable(),
  /** Resumed from an earlier detector's state: no range call until its fresh ARTime has learned (absent: false). */
  rangeQuiet: z.boolean().optional(),
  /** Its v5 part's `learningMs`, which the packed part does not hold (absent: the default). */
  learningMs: z.number().min(0).optional(),
});

/** The members of a failureprophet-leaders detector. */
interface Parts {
  artime: ArtimeDetector;
  runs: FailureProphetV5Detector;
  range: GrossRangeView;
  weight: number;
}

/**
 * Candidate for the product (issue 12, "leaders first"): the published leader carries the general
 * detection, and this code adds only what a product must never miss. Issue 12's measurements: every
 * view tuned on the 24 dev files lost on the held-out category, while ARTime (Hampton 2021, NAB's
 * leader; here bounded, range estimated online, as failureprophet builds it) held up there. So the
 * score is the larger of
 * - ARTime's score x `artimeWeight` (the general detection: window shapes never seen), and
 * - FAULT_SCORE when a gross fault is called: a value far beyond the range seen or a drop to 0
 *   where 0 is not a habit (GrossRangeView), a value stuck flat or a series that stops
 *   (failureprophet-v5's run views, their statistics of the series' own runs; called once per run
 *   when their level reaches v5's `alarmThreshold`).
 * failureprophet-v5's level views, which fitted the dev files, score nothing here; its run views
 * need it to run whole (they share its learning and sampling statistics), and its band is the one
 * shown. ARTime masks its own new categories for a while after an anomaly (as published); the fault
 * calls are never muted by an earlier alarm, so none can hide a new gross fault.
 */
export class FailureProphetLeadersDetector implements StreamingDetector {
  private readonly artime: ArtimeDetector;
  private readonly runs: FailureProphetV5Detector;
  private readonly range: GrossRangeView;
  private readonly weight: number;
  private readonly alarmThreshold: number;
  private lastArtime = 0;
  /** ARTime judges a down-sampled window at a time: its last window's weighted score, held until the next. */
  private heldArtime = 0;
  private lastFault = 0;
  /** Whether the current flat run, and the current missing run, has been called (once per run each). */
  private flatCalled = false;
  private missingCalled = false;
  private seenAt = -Infinity;
  /**
   * Set when resumed from an earlier product's state, whose range seen is not kept: its range view
   * starts empty, so it learns during the fresh ARTime's probation before calling anything.
   */
  private rangeQuiet = false;

  constructor(
    options: FailureProphetLeadersOptions = {},
    parts?: Parts,
    readonly name: LeadersName = NAME
  ) {
    const p = parts ?? freshParts(options, new FailureProphetV5Detector(options));
    if (!(Number.isFinite(p.weight) && p.weight >= 0)) {
      throw new Error(`artimeWeight must be a finite number >= 0, got ${String(p.weight)}`);
    }
    if (p.artime.name !== 'artime-bounded') {
      throw new Error(`Corrupt detector state: ${name} holds an ARTime of the wrong kind (${p.artime.name})`);
    }
    this.artime = p.artime;
    this.runs = p.runs;
    this.range = p.range;
    this.weight = p.weight;
    this.alarmThreshold = p.runs.settings().alarmThreshold;
  }

  /**
   * `failureprophet` resumed from an earlier product's failureprophet-v5 part (states of versions 5
   * and 6): its run views and band exactly where they were, its ARTime and range view fresh (scoring
   * nothing until the ARTime's probation has passed).
   */
  static resumed(runs: FailureProphetV5Detector): FailureProphetLeadersDetector {
    const tp = runs.settings().trainingPoints;
    const options = { trainingPoints: tp > 0 ? tp : undefined, artimeRescale: true };
    const d = new FailureProphetLeadersDetector({}, freshParts(options, runs), PRODUCT_NAME);
    d.rangeQuiet = true;
    return d;
  }

  get expected(): number {
    return this.runs.expected;
  }

  get lower(): number {
    return this.runs.lower;
  }

  get upper(): number {
    return this.runs.upper;
  }

  /**
   * How abnormal the series is now, without the per-event reporting: ARTime's last window's score
   * until its next window, and failureprophet-v5's level (its band's views and its flat and missing
   * runs: a value that stays far outside the band shown stays abnormal). It opens nothing; it keeps
   * an open anomaly open and tells healing whether the target recovered.
   */
  get level(): number {
    return Math.max(this.heldArtime, this.lastFault, this.runs.level);
  }

  get learning(): boolean {
    return this.runs.learning;
  }

  /** failureprophet-v5's missing run view: a gap's own level, apart from ARTime's window and the band. */
  get missingRunLevel(): number {
    return this.runs.missingRunLevel;
  }

  /** The last score is a fault call's (the range seen, a drop to 0, a flat or missing run), not ARTime's alone. */
  get faultCall(): boolean {
    return this.lastFault > 0;
  }

  /** Until the ARTime has learned its probation (ARTIME_PROBATION_MS of the series by default), only fault calls alarm. */
  get faultsOnlySamplesLeft(): number {
    return this.artime.samplesToLearn;
  }

  settings(): Record<string, number> {
    return {
      ...this.runs.settings(),
      artimeWeight: this.weight,
      maxCategories: this.artime.capacity,
      grossSpans: this.range.spans,
    };
  }

  update(timestampMs: number, value: number): number {
    if (!(timestampMs > this.seenAt)) {
      return Math.max(this.lastArtime, this.lastFault);
    }
    this.seenAt = timestampMs;
    // v5's own score (its level views) is not used: only its run views' levels.
    this.runs.update(timestampMs, value);
    const flat = this.runs.flatRunLevel;
    const missing = this.runs.missingRunLevel;
    // A run is called once, when its level first reaches the threshold (as v5 reports it); a flat
    // run and a missing run are called apart, so a series that stops while stuck is still called.
    const flatCall = !this.flatCalled && flat >= this.alarmThreshold;
    const missingCall = !this.missingCalled && missing >= this.alarmThreshold;
    this.flatCalled = flat > 0 && (this.flatCalled || flatCall);
    this.missingCalled = missing > 0 && (this.missingCalled || missingCall);
    this.rangeQuiet = this.rangeQuiet && this.artime.learning;
    const gross = this.range.call(timestampMs, value, this.runs.learning || this.rangeQuiet);
    this.lastFault = flatCall || missingCall || gross ? FAULT_SCORE : 0;
    this.lastArtime = Math.min(1, this.weight * this.artime.update(timestampMs, value));
    if (this.artime.windowCompleted) {
      this.heldArtime = this.lastArtime;
    }
    return Math.max(this.lastArtime, this.lastFault);
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(this.name, VERSIONS[this.name]),
      weight: this.weight,
      lastArtime: this.lastArtime,
      heldArtime: this.heldArtime,
      lastFault: this.lastFault,
      flatCalled: this.flatCalled,
      missingCalled: this.missingCalled,
      seenAt: Number.isFinite(this.seenAt) ? this.seenAt : null,
      ...(this.rangeQuiet ? { rangeQuiet: true } : {}),
      ...learningField(this.runs),
      range: this.range.toState(),
      runs: this.runs.toPacked(),
      artime: this.artime.toState(),
    };
  }

  static fromState(state: unknown): FailureProphetLeadersDetector {
    const name = isRecord(state) && state.name === PRODUCT_NAME ? PRODUCT_NAME : NAME;
    const s = checkState(state, name, VERSIONS[name]);
    const own = LEADERS_STATE.safeParse(s);
    if (!own.success) {
      throw new Error(`Corrupt detector state: ${name} ${stateIssues(own.error)}`);
    }
    const runs = FailureProphetV5Detector.fromPacked(s.runs, 'runs', own.data.learningMs);
    const d = new FailureProphetLeadersDetector(
      {},
      {
        artime: ArtimeDetector.fromState(s.artime),
        runs,
        range: GrossRangeView.fromState(s.range, 'range'),
        weight: own.data.weight,
      },
      name
    );
    d.lastArtime = own.data.lastArtime;
    d.heldArtime = own.data.heldArtime ?? own.data.lastArtime;
    d.lastFault = own.data.lastFault;
    d.flatCalled = own.data.flatCalled;
    d.missingCalled = own.data.missingCalled;
    d.seenAt = own.data.seenAt ?? -Infinity;
    d.rangeQuiet = own.data.rangeQuiet === true;
    return d;
  }
}

/** The v5 part's `learningMs` as this detector's state keeps it: only when it is not the default. */
function learningField(runs: FailureProphetV5Detector): { learningMs?: number } {
  const { learningMs } = runs.settings();
  return learningMs === undefined ? {} : { learningMs };
}

/** Members built from options (their defaults), around `runs`. */
function freshParts(options: FailureProphetLeadersOptions, runs: FailureProphetV5Detector): Parts {
  return {
    artime: boundedArtime({ ...options, rescale: options.artimeRescale === true }),
    runs,
    range: new GrossRangeView(options.grossSpans ?? GROSS_SPANS),
    weight: options.artimeWeight ?? LEADERS_ARTIME_WEIGHT,
  };
}
