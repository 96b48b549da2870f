import { num } from './detector';
import { isRecord } from './shared/json';

/**
 * The file's minimum and maximum, known before the run. NAB handed these to its published
 * detectors; a live series never has them, so only the NAB runner's `--published-minmax` passes
 * one (to check a re-implementation against its published figure).
 */
export interface InputRange {
  inputMin: number;
  inputMax: number;
}

/**
 * How a range-quantising detector estimates its range online once it has learned (the product's
 * substitute for NAB's hint). The learning data's range is widened by `margin` times its span on
 * each side, because the anomalies NAB labels (and the faults that matter) mostly lie outside what
 * learning saw; a value outside the settled range is clamped to its edge, or, with `renormalise`,
 * moves that edge to the value plus the margin (the scale changes in steps, not at every new extreme).
 */
export interface RangeEstimate {
  margin: number;
  renormalise: boolean;
  /**
   * With `renormalise`: when the range moves, the detector re-expresses what it learned in the old
   * scale in the new one (an affine map), so what it learned stays consistent with the values it
   * sees. Only a detector that can do so honours it (ARTime); absent: false.
   */
  rescale?: boolean;
}

/**
 * The range a range-quantising detector bins values in: the hint when given (fixed); otherwise the
 * minimum and maximum of the values seen so far, and, once `settle()` is called at the end of
 * learning with an estimate, that range widened by the estimate's margin (see RangeEstimate).
 */
export class ValueRange {
  constructor(
    public min: number,
    public max: number,
    readonly fixed: boolean,
    readonly estimate: RangeEstimate = { margin: 0, renormalise: true },
    private settled = false
  ) {}

  /**
   * With `rescale`: the range as it was when what was learned was last expressed in it, while the
   * range has moved since (`moved`); undefined when it has not moved.
   */
  private movedFrom: { min: number; max: number } | undefined;

  static of(range?: InputRange, estimate?: RangeEstimate): ValueRange {
    return range
      ? new ValueRange(range.inputMin, range.inputMax, true)
      : new ValueRange(Infinity, -Infinity, false, estimate);
  }

  /** The margin's unit: the span, or for a range of one value its magnitude (1 around 0). */
  private unit(): number {
    const span = this.max - this.min;
    return span > 0 ? span : Math.abs(this.max) || 1;
  }

  /** Takes `value` into an estimated range (see the class); a hinted range never moves. */
  see(value: number): void {
    if (this.fixed) {
      return;
    }
    if (!this.settled) {
      this.min = Math.min(this.min, value);
      this.max = Math.max(this.max, value);
    } else if (this.estimate.renormalise && (value < this.min || value > this.max)) {
      if (this.estimate.rescale === true && this.movedFrom === undefined) {
        this.movedFrom = { min: this.min, max: this.max };
      }
      const pad = this.estimate.margin * this.unit();
      if (value < this.min) {
        this.min = value - pad;
      } else {
        this.max = value + pad;
      }
    }
  }

  /**
   * With `rescale`: the range what was learned is expressed in, if the range has moved since (the
   * moves compose into one affine map); undefined if it has not.
   */
  get moved(): { min: number; max: number } | undefined {
    return this.movedFrom;
  }

  /** What was learned is now expressed in the range as it is. */
  reexpressed(): void {
    this.movedFrom = undefined;
  }

  /** Ends learning: widens the range seen so far by the margin; later values follow the estimate. */
  settle(): void {
    if (this.fixed || this.settled || !(this.min <= this.max)) {
      return;
    }
    const pad = this.estimate.margin * this.unit();
    this.min -= pad;
    this.max += pad;
    this.settled = true;
  }

  toState(): {
    min: number | null;
    max: number | null;
    fixed: boolean;
    margin: number;
    renormalise: boolean;
    rescale?: true;
    settled: boolean;
    movedFrom?: { min: number; max: number };
  } {
    // JSON has no Infinity: an empty estimate is stored as nulls.
    return {
      min: Number.isFinite(this.min) ? this.min : null,
      max: Number.isFinite(this.max) ? this.max : null,
      fixed: this.fixed,
      margin: this.estimate.margin,
      renormalise: this.estimate.renormalise,
      // Written only when set, so the states of every estimate before it are unchanged.
      ...(this.estimate.rescale === true ? { rescale: true as const } : {}),
      settled: this.settled,
      ...(this.movedFrom !== undefined ? { movedFrom: { ...this.movedFrom } } : {}),
    };
  }

  /** Reads `toState()` output; a state written before estimates existed reads as min/max so far. */
  static fromState(s: unknown): ValueRange {
    const fixed = isRecord(s) ? s.fixed : undefined;
    if (!isRecord(s) || typeof fixed !== 'boolean') {
      throw new Error('Corrupt detector state: field "range" is not a value range');
    }
    const r = s;
    const min = num(r, 'min');
    const max = num(r, 'max');
    const empty = Number.isNaN(min) && Number.isNaN(max);
    if (!empty && !(min <= max)) {
      throw new Error('Corrupt detector state: value range has min > max');
    }
    const margin = r.margin === undefined ? 0 : num(r, 'margin');
    const flag = (key: string, absent: boolean): boolean => {
      const v = r[key] === undefined ? absent : r[key];
      if (typeof v !== 'boolean') {
        throw new Error(`Corrupt detector state: value range field "${key}" is not a boolean`);
      }
      return v;
    };
    if (!(margin >= 0)) {
      throw new Error('Corrupt detector state: value range margin is not >= 0');
    }
    const range = new ValueRange(
      empty ? Infinity : min,
      empty ? -Infinity : max,
      fixed,
      { margin, renormalise: flag('renormalise', true), rescale: flag('rescale', false) },
      flag('settled', false)
    );
    if (r.movedFrom !== undefined) {
      const from = r.movedFrom;
      const edge = (key: string): number => (isRecord(from) ? num(from, key) : NaN);
      if (!(edge('min') <= edge('max') && range.estimate.rescale === true)) {
        throw new Error('Corrupt detector state: value range movedFrom is not a range of a rescaling estimate');
      }
      range.movedFrom = { min: edge('min'), max: edge('max') };
    }
    return range;
  }
}

/** Reads a range estimate from detector options, with the detector's defaults for what is absent. */
export function rangeEstimateOf(
  options: { rangeMargin?: number; rangeRenormalise?: boolean | number; rangeRescale?: boolean | number },
  defaults: RangeEstimate
): RangeEstimate {
  const margin = options.rangeMargin ?? defaults.margin;
  if (!(Number.isFinite(margin) && margin >= 0)) {
    throw new Error(`rangeMargin must be a finite number >= 0, got ${String(options.rangeMargin)}`);
  }
  // nab:tune's grid passes numbers: 0 / 1 mean false / true.
  const r = options.rangeRenormalise;
  const rescale = options.rangeRescale ?? defaults.rescale;
  return { margin, renormalise: r === undefined ? defaults.renormalise : Boolean(r), rescale: Boolean(rescale) };
}
