import { z } from 'zod';

/** How a GrossRangeView is stored: the range seen (null before any value). */
export const GROSS_RANGE_STATE = z.strictObject({
  spans: z.number().min(0),
  range: z
    .tuple([z.number(), z.number()])
    .refine(([lo, hi]) => lo <= hi, 'lo above hi')
    .nullable(),
});

export type GrossRangeState = z.infer<typeof GROSS_RANGE_STATE>;

/**
 * Gross range faults (issue 12, item 4): a value further beyond every value seen so far than
 * `spans` times their range (a jump or spike far outside anything the series did), or exactly 0
 * on a series that has never been at or across 0 (a dead exporter, a reset, a service down).
 * Assumes nothing about the series' shape: the limits are the extremes it has shown, as a
 * Shewhart chart's are the in-control spread, but with no fitted model to drift or to be fooled.
 * Every value widens the range, so a series that stays at its new level is called once; a later
 * fault further out (or the first zero after it) is called again, whatever was called before.
 */
export class GrossRangeView {
  private lo = Infinity;
  private hi = -Infinity;

  constructor(readonly spans: number) {
    if (!(Number.isFinite(spans) && spans >= 0)) {
      throw new Error(`grossSpans must be a finite number >= 0, got ${String(spans)}`);
    }
  }

  /**
   * Whether `value` is a gross fault against the values before it (never while `learning`, nor
   * for a missing value); learns it either way.
   */
  call(value: number, learning: boolean): boolean {
    if (!Number.isFinite(value)) {
      return false;
    }
    const lo = this.lo;
    const hi = this.hi;
    this.lo = Math.min(lo, value);
    this.hi = Math.max(hi, value);
    if (learning || !(lo <= hi)) {
      return false;
    }
    const reach = this.spans * (hi - lo);
    return value > hi + reach || value < lo - reach || (value === 0 && (lo > 0 || hi < 0));
  }

  toState(): GrossRangeState {
    return { spans: this.spans, range: this.lo <= this.hi ? [this.lo, this.hi] : null };
  }

  /** Throws naming the field when the stored view is corrupt. */
  static fromState(raw: unknown, field: string): GrossRangeView {
    const parsed = GROSS_RANGE_STATE.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`Corrupt detector state: ${field}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    const v = new GrossRangeView(parsed.data.spans);
    if (parsed.data.range) {
      [v.lo, v.hi] = parsed.data.range;
    }
    return v;
  }
}
