import { ArtimeDetector } from './artime';
import { checkState, DetectorState, stateEnvelope, StreamingDetector } from './detector';
import { FailureProphetDetector, FailureProphetOptions } from './failureprophet';

const VERSION = 1;

export interface EnsembleOptions extends FailureProphetOptions {
  /** What an ARTime score counts for on failureprophet's scale (ARTime alarms at this times its score). */
  artimeWeight?: number;
  /** The bounded ARTime's most categories (ArtimeOptions.maxCategories). */
  maxCategories?: number;
}

/**
 * How much an ARTime score counts: chosen by `npm run nab:tune` on the dev files (leave one
 * category out, the weight re-chosen in each fold: 0.35 in 3 of 4 folds, standard profile); with
 * it an ARTime score of about 0.69 reaches RECOMMENDED_THRESHOLD.
 */
export const ARTIME_WEIGHT = 0.35;

/**
 * The same for the bounded ARTime in `failureprophet-artime`: the weight `npm run nab:tune` picks on
 * all 24 dev files (0.4; inside the leave-one-category-out folds 0.4 twice, 0.35, 0.8).
 */
export const ARTIME_BOUNDED_WEIGHT = 0.4;

type EnsembleName = 'failureprophet-ensemble' | 'failureprophet-artime';

/**
 * failureprophet (v5) together with ARTime (range estimated online from its probation): the
 * reported score is the larger of failureprophet's score and ARTime's weighted score, so ARTime
 * adds the window shapes it has never seen and can never hide what failureprophet reports (a new
 * fault still scores as failureprophet scores it). The band, `level` and `learning` are
 * failureprophet's, `level` raised to ARTime's weighted score. As `failureprophet-ensemble` (the
 * published ARTime) not product-grade: ARTime's categories grow without bound and it scores about
 * 0.1 M points/s; as `failureprophet-artime` (`bounded()`) its state has a fixed size (RESULTS.md,
 * issue 12).
 */
export class EnsembleDetector implements StreamingDetector {
  readonly name: EnsembleName;
  private lastArtime = 0;

  constructor(
    options: EnsembleOptions = {},
    private readonly fp = new FailureProphetDetector(options),
    private readonly artime = new ArtimeDetector({ trainingPoints: options.trainingPoints }),
    private readonly weight = weightOf(options.artimeWeight)
  ) {
    this.name = artime.name === 'artime-bounded' ? 'failureprophet-artime' : 'failureprophet-ensemble';
  }

  /**
   * The product candidate `failureprophet-artime`: the same combination with the bounded ARTime
   * (`artime-bounded`: fixed-size state, over 1 M points/s), weighted by ARTIME_BOUNDED_WEIGHT.
   */
  static bounded(options: EnsembleOptions = {}): EnsembleDetector {
    return new EnsembleDetector(
      options,
      new FailureProphetDetector(options),
      ArtimeDetector.bounded({ trainingPoints: options.trainingPoints, maxCategories: options.maxCategories }),
      weightOf(options.artimeWeight ?? ARTIME_BOUNDED_WEIGHT)
    );
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

  update(timestampMs: number, value: number): number {
    const own = this.fp.update(timestampMs, value);
    this.lastArtime = Math.min(1, this.weight * this.artime.update(timestampMs, value));
    return Math.max(own, this.lastArtime);
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(this.name, VERSION),
      weight: this.weight,
      lastArtime: this.lastArtime,
      failureprophet: this.fp.toState(),
      artime: this.artime.toState(),
    };
  }

  static fromState(state: unknown): EnsembleDetector {
    const name = typeof state === 'object' && state !== null && 'name' in state ? state.name : undefined;
    const s = checkState(state, name === 'failureprophet-artime' ? name : 'failureprophet-ensemble', VERSION);
    const last = s.lastArtime;
    const weight = s.weight;
    if (typeof last !== 'number' || !(last >= 0 && last <= 1)) {
      throw new Error('Corrupt detector state: failureprophet-ensemble lastArtime is not in [0, 1]');
    }
    if (typeof weight !== 'number') {
      throw new Error(`Corrupt detector state: ${s.name} weight is not a number`);
    }
    const artime = ArtimeDetector.fromState(s.artime);
    if ((artime.name === 'artime-bounded') !== (s.name === 'failureprophet-artime')) {
      throw new Error(`Corrupt detector state: ${s.name} holds an ARTime of the wrong kind (${artime.name})`);
    }
    const d = new EnsembleDetector({}, FailureProphetDetector.fromState(s.failureprophet), artime, weightOf(weight));
    d.lastArtime = last;
    return d;
  }
}

function weightOf(w: number | undefined): number {
  const weight = w ?? ARTIME_WEIGHT;
  if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0)) {
    throw new Error(`artimeWeight must be a finite number >= 0, got ${String(w)}`);
  }
  return weight;
}
