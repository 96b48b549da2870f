import { ArtimeDetector } from './artime';
import { checkState, DetectorState, stateEnvelope, StreamingDetector } from './detector';
import { FailureProphetV5Detector, FailureProphetV5Options } from './failureprophetV5';

/**
 * failureprophet-v5's options but `learningMs`: an ensemble packs its failureprophet-v5 in a format that
 * predates it, so a restore would lose it (the option schemas refuse it too).
 */
export interface EnsembleOptions extends Omit<FailureProphetV5Options, 'learningMs'> {
  /** What an ARTime score counts for on failureprophet-v5's scale (ARTime alarms at this times its score). */
  artimeWeight?: number;
  /** The bounded ARTime's most categories (`failureprophet-v6` only; ArtimeOptions.maxCategories). */
  maxCategories?: number;
  /** `failureprophet-v6` only: its ARTime's range is the values seen, re-expressed as it moves (ARTIME_RANGE_SEEN). */
  artimeRescale?: boolean;
}

/**
 * How much an ARTime score counts in `failureprophet-ensemble` (the published, unbounded ARTime):
 * chosen by `npm run nab:tune` on the dev files (leave one category out, the weight re-chosen in
 * each fold: 0.35 in 3 of 4 folds, standard profile); with it an ARTime score of about 0.69 reaches
 * RECOMMENDED_THRESHOLD.
 */
export const ARTIME_WEIGHT = 0.35;

type EnsembleName = 'failureprophet-v6' | 'failureprophet-ensemble';

/** 1: the failureprophet part as JSON; 2: packed (FailureProphetV5Detector.toPacked). */
const ENSEMBLE_VERSION = 2;

/** The members of an ensemble and how much ARTime's score counts. */
export interface EnsembleParts {
  fp: FailureProphetV5Detector;
  artime: ArtimeDetector;
  weight: number;
}

/**
 * failureprophet-v5 together with ARTime (range estimated online from its probation): the reported
 * score is the larger of failureprophet-v5's score and ARTime's weighted score, so ARTime adds the
 * window shapes it has never seen and can never hide what failureprophet-v5 reports (a new fault
 * still scores as failureprophet-v5 scores it). The band and `learning` are failureprophet-v5's,
 * `level` raised to ARTime's weighted score. With the bounded ARTime this is `failureprophet-v6`
 * (FailureProphetV6Detector, the product until stop 29); with the published one `failureprophet-ensemble`, not
 * product-grade (ARTime's categories grow without bound, about 0.1 M points/s; RESULTS.md, issue 12).
 */
export class EnsembleDetector implements StreamingDetector {
  private lastArtime = 0;
  private readonly fp: FailureProphetV5Detector;
  private readonly artime: ArtimeDetector;
  private readonly weight: number;

  constructor(
    readonly name: EnsembleName,
    parts: EnsembleParts
  ) {
    if ((parts.artime.name === 'artime-bounded') !== (name === 'failureprophet-v6')) {
      throw new Error(`Corrupt detector state: ${name} holds an ARTime of the wrong kind (${parts.artime.name})`);
    }
    this.fp = parts.fp;
    this.artime = parts.artime;
    this.weight = weightOf(parts.weight);
  }

  /** `failureprophet-ensemble`: with the published ARTime (unbounded), weighted by ARTIME_WEIGHT. */
  static unbounded(options: EnsembleOptions = {}): EnsembleDetector {
    return new EnsembleDetector('failureprophet-ensemble', {
      fp: new FailureProphetV5Detector(options),
      artime: new ArtimeDetector({ trainingPoints: options.trainingPoints }),
      weight: options.artimeWeight ?? ARTIME_WEIGHT,
    });
  }

  get expected(): number {
    return this.fp.expected;
  }

  get lower(): number {
    return this.fp.lower;
  }

  get upper(): number {
    return this.fp.upper;
  }

  get level(): number {
    return Math.max(this.fp.level, this.lastArtime);
  }

  get learning(): boolean {
    return this.fp.learning;
  }

  /** Every option in effect: failureprophet-v5's and ARTime's weight. */
  settings(): Record<string, number> {
    return { ...this.fp.settings(), artimeWeight: this.weight, maxCategories: this.artime.capacity };
  }

  update(timestampMs: number, value: number): number {
    const own = this.fp.update(timestampMs, value);
    this.lastArtime = Math.min(1, this.weight * this.artime.update(timestampMs, value));
    return Math.max(own, this.lastArtime);
  }

  /** `version`: the state version of this ensemble's name (v6's follows v5's states of the product's name). */
  protected stateOf(version: number): DetectorState {
    return {
      ...stateEnvelope(this.name, version),
      weight: this.weight,
      lastArtime: this.lastArtime,
      failureprophet: this.fp.toPacked(),
      artime: this.artime.toState(),
    };
  }

  toState(): DetectorState {
    return this.stateOf(ENSEMBLE_VERSION);
  }

  /** The members and weight of a checked state, and the last weighted ARTime score. */
  protected static partsOf(s: Record<string, unknown>, name: EnsembleName): EnsembleParts & { last: number } {
    const last = s.lastArtime;
    const weight = s.weight;
    if (typeof last !== 'number' || !(last >= 0 && last <= 1)) {
      throw new Error(`Corrupt detector state: ${name} lastArtime is not in [0, 1]`);
    }
    if (typeof weight !== 'number') {
      throw new Error(`Corrupt detector state: ${name} weight is not a number`);
    }
    return {
      fp: FailureProphetV5Detector.fromPacked(s.failureprophet, 'failureprophet'),
      artime: ArtimeDetector.fromState(s.artime),
      weight,
      last,
    };
  }

  /** Resumes from a part-restored state: its last weighted ARTime score. */
  protected resume(last: number): this {
    this.lastArtime = last;
    return this;
  }

  static fromState(state: unknown): EnsembleDetector {
    const s = checkState(state, 'failureprophet-ensemble', ENSEMBLE_VERSION);
    const parts = EnsembleDetector.partsOf(s, 'failureprophet-ensemble');
    return new EnsembleDetector('failureprophet-ensemble', parts).resume(parts.last);
  }
}

/** A weight checked: finite and >= 0. */
function weightOf(w: number | undefined): number {
  if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) {
    throw new Error(`artimeWeight must be a finite number >= 0, got ${String(w)}`);
  }
  return w;
}
