import { num } from './detector';

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
 * The range a range-quantising detector bins values in: the hint when given (fixed), otherwise the
 * minimum and maximum of the values seen so far, as a live detector must estimate it.
 */
export class ValueRange {
  constructor(
    public min: number,
    public max: number,
    readonly fixed: boolean
  ) {}

  static of(range?: InputRange): ValueRange {
    return range ? new ValueRange(range.inputMin, range.inputMax, true) : new ValueRange(Infinity, -Infinity, false);
  }

  /** Widens an estimated range to include `value`; a hinted range never moves. */
  see(value: number): void {
    if (!this.fixed) {
      this.min = Math.min(this.min, value);
      this.max = Math.max(this.max, value);
    }
  }

  toState(): { min: number | null; max: number | null; fixed: boolean } {
    // JSON has no Infinity: an empty estimate is stored as nulls.
    return {
      min: Number.isFinite(this.min) ? this.min : null,
      max: Number.isFinite(this.max) ? this.max : null,
      fixed: this.fixed,
    };
  }

  static fromState(s: unknown): ValueRange {
    if (typeof s !== 'object' || s === null || typeof (s as { fixed?: unknown }).fixed !== 'boolean') {
      throw new Error('Corrupt detector state: field "range" is not a value range');
    }
    const r = s as Record<string, unknown>;
    const min = num(r, 'min');
    const max = num(r, 'max');
    const empty = Number.isNaN(min) && Number.isNaN(max);
    if (!empty && !(min <= max)) {
      throw new Error('Corrupt detector state: value range has min > max');
    }
    return new ValueRange(empty ? Infinity : min, empty ? -Infinity : max, r.fixed as boolean);
  }
}
