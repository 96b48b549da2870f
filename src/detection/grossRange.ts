import { z } from 'zod';
import { runDecay } from './failureprophetV5';

/** How a GrossRangeView is stored: the range seen (null before any value), its zero runs (absent: saved before). */
export const GROSS_RANGE_STATE = z.strictObject({
  spans: z.number().min(0),
  range: z
    .tuple([z.number(), z.number()])
    .refine(([lo, hi]) => lo <= hi, 'lo above hi')
    .nullable(),
  /**
   * Zero runs: when the last value came (ms), the share of recent time at 0 and the zero runs begun
   * (both forgotten as of then), whether the last value was 0.
   */
  zero: z
    .strictObject({
      at: z.number(),
      share: z.number().min(0).max(1),
      runs: z.number().nonnegative(),
      now: z.boolean(),
    })
    .optional(),
});

export type GrossRangeState = z.infer<typeof GROSS_RANGE_STATE>;

/**
 * Gross range faults (issue 12, item 4): a value further beyond every value seen so far than
 * `spans` times their range (a jump or spike far outside anything the series did), or a drop to
 * exactly 0 on a series never across 0, unless 0 is its habit: it was at 0 half the time lately (0
 * is its median: an error count back to 0 is no fault) or began zero runs at least twice lately
 * (a series off every night is called on its first two nights only); both forgotten as
 * failureprophet-v5's run statistics forget (RUN_MEMORY_MS, ~3.5 days). A dead exporter, a reset,
 * a service down is called the first time, and again the next day or week.
 * Assumes nothing about the series' shape: the limits are the extremes it has shown, as a
 * Shewhart chart's are the in-control spread, but with no fitted model to drift or to be fooled.
 * Every value widens the range, so a series that stays at its new level is called once; a later
 * fault further out (or a zero that is not habit) is called again, whatever was called before.
 */
export class GrossRangeView {
  private lo = Infinity;
  private hi = -Infinity;
  /** When the last value came. */
  private seenAt = -Infinity;
  /** Share of the time at 0, and zero runs begun, forgotten as of seenAt. */
  private zeroShare = 0;
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
    // The time since the last value counts as spent where that value was (0 or not); none before the first.
    const kept = this.seenAt > -Infinity ? runDecay.of(Math.max(0, timestampMs - this.seenAt)) : 1;
    const share = this.zeroShare * kept + (this.atZero ? 1 - kept : 0);
    const runs = this.zeroRuns * kept;
    const zeroRunBegins = value === 0 && !this.atZero;
    const habit = share >= 0.5 || runs >= 1;
    this.seenAt = timestampMs;
    this.zeroShare = share;
    this.zeroRuns = runs + (zeroRunBegins ? 1 : 0);
    this.atZero = value === 0;
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
      ...((this.zeroRuns > 0 || this.zeroShare > 0) && this.seenAt > -Infinity
        ? { zero: { at: this.seenAt, share: this.zeroShare, runs: this.zeroRuns, now: this.atZero } }
        : {}),
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
    if (zero) {
      v.seenAt = zero.at;
      v.zeroShare = zero.share;
      v.zeroRuns = zero.runs;
      v.atZero = zero.now;
    } else if (range && range[0] <= 0 && range[1] >= 0) {
      // Saved before zero runs were kept, by a view that had seen 0: taken as at 0 so far, so no zero
      // is called until the series has been away from 0 for about RUN_MEMORY_MS (as it called none).
      v.zeroShare = 1;
    }
    return v;
  }
}
