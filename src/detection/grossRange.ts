import { z } from 'zod';
import { RUN_MEMORY_MS } from './failureprophetV5';

/** How a GrossRangeView is stored: the range seen (null before any value), its zero runs (absent: saved before). */
export const GROSS_RANGE_STATE = z.strictObject({
  spans: z.number().min(0),
  range: z
    .tuple([z.number(), z.number()])
    .refine(([lo, hi]) => lo <= hi, 'lo above hi')
    .nullable(),
  /** When a value was last exactly 0 (ms), the zero runs begun (forgotten as of then), whether the last was 0. */
  zero: z.strictObject({ at: z.number(), runs: z.number().nonnegative(), now: z.boolean() }).optional(),
});

export type GrossRangeState = z.infer<typeof GROSS_RANGE_STATE>;

/**
 * Gross range faults (issue 12, item 4): a value further beyond every value seen so far than
 * `spans` times their range (a jump or spike far outside anything the series did), or a drop to
 * exactly 0 on a series never across 0, unless 0 is its habit: it began zero runs at least twice
 * lately (their count, forgotten as failureprophet-v5's run statistics forget, RUN_MEMORY_MS, is 1
 * or more). A dead exporter, a reset, a service down: the first time, and again the next day or
 * week; a series off every night is called on its first two nights only.
 * Assumes nothing about the series' shape: the limits are the extremes it has shown, as a
 * Shewhart chart's are the in-control spread, but with no fitted model to drift or to be fooled.
 * Every value widens the range, so a series that stays at its new level is called once; a later
 * fault further out (or a zero that is not habit) is called again, whatever was called before.
 */
export class GrossRangeView {
  private lo = Infinity;
  private hi = -Infinity;
  private zeroAt = -Infinity;
  /** Zero runs begun, forgotten as of zeroAt. */
  private zeroRuns = 0;
  private atZero = false;

  constructor(readonly spans: number) {
    if (!(Number.isFinite(spans) && spans >= 0)) {
      throw new Error(`grossSpans must be a finite number >= 0, got ${String(spans)}`);
    }
  }

  /**
   * Whether `value` at `timestampMs` is a gross fault against the values before it (never while
   * `learning`, nor for a missing value); learns it either way.
   */
  call(timestampMs: number, value: number, learning: boolean): boolean {
    if (!Number.isFinite(value)) {
      return false;
    }
    const lo = this.lo;
    const hi = this.hi;
    this.lo = Math.min(lo, value);
    this.hi = Math.max(hi, value);
    const zeroRunBegins = value === 0 && !this.atZero;
    this.atZero = value === 0;
    let habit = false;
    if (value === 0) {
      const runs = this.zeroRuns * Math.exp(-Math.max(0, timestampMs - this.zeroAt) / RUN_MEMORY_MS);
      habit = runs >= 1;
      this.zeroRuns = runs + (zeroRunBegins ? 1 : 0);
      this.zeroAt = timestampMs;
    }
    if (learning || !(lo <= hi)) {
      return false;
    }
    const reach = this.spans * (hi - lo);
    if (value > hi + reach || value < lo - reach) {
      return true;
    }
    return zeroRunBegins && !habit && (lo >= 0 || hi <= 0);
  }

  toState(): GrossRangeState {
    return {
      spans: this.spans,
      range: this.lo <= this.hi ? [this.lo, this.hi] : null,
      ...(this.zeroRuns > 0 ? { zero: { at: this.zeroAt, runs: this.zeroRuns, now: this.atZero } } : {}),
    };
  }

  /** Throws naming the field when the stored view is corrupt. */
  static fromState(raw: unknown, field: string): GrossRangeView {
    const parsed = GROSS_RANGE_STATE.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`Corrupt detector state: ${field}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    const v = new GrossRangeView(parsed.data.spans);
    const { range, zero } = parsed.data;
    if (range) {
      [v.lo, v.hi] = range;
    }
    // A state saved before zero runs were kept counts them afresh from here.
    if (zero) {
      v.zeroAt = zero.at;
      v.zeroRuns = zero.runs;
      v.atZero = zero.now;
    }
    return v;
  }
}
