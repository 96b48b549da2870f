import { z } from 'zod';
import { modelRegion } from '../shared/arrays';
import type { SeenRange } from './farLimit';
import { Scratch } from './scratch';
/**
 * The history a crossing forecaster reads: bucket means in a ring (bounded memory whatever the
 * scrape interval), the newest bucket still filling. Values are read "signed" (multiplied by +1 or
 * -1), so a fall towards a lower limit is handled as a rise.
 */

/** Plain JSON of a BucketHistory (null stands for an empty bucket or no sample yet). */
const finiteOrNull = z.number().nullable();

const historyFields = {
  firstMs: finiteOrNull,
  lastMs: finiteOrNull,
  /** Absolute index (time / bucketMs) of the newest bucket. */
  newest: finiteOrNull,
  /**
   * Sum, count and sum of timestamps of the newest (still filling) bucket; the sum null when it has
   * left the doubles (values near 1e308): the bucket is then read as an empty one, as seal() keeps it.
   */
  partial: z.tuple([finiteOrNull, z.number(), z.number()]),
};

/** What a saved history must hold (zod's numbers are finite). */
const bucketHistoryStateSchema = z.object({
  ...historyFields,
  /**
   * Samples a full bucket holds, as the last sealed buckets said (absent in states saved before it
   * was kept: read as 0, no bucket weighed against it).
   */
  fullCount: z.number().optional(),
  /** The first sealed bucket's mean: every mean is kept as its difference from it. */
  base: finiteOrNull,
  /** Per bucket, its mean less `base` (a float32), ring-indexed by absolute index modulo the ring length. */
  offsets: z.array(finiteOrNull),
});
/** A history as crossing forecaster states of versions 1 and 2 hold it: the means as doubles. */
const meansStateSchema = z.object({ ...historyFields, means: z.array(finiteOrNull) });
export type BucketHistoryState = z.infer<typeof bucketHistoryStateSchema>;

/** Where series() writes the history it reads (see Scratch): its times and its signed means. */
const SERIES_T = new Scratch();
const SERIES_Y = new Scratch();
/** What series() answers: views of those, valid until the next series() of any history. */
const read: { t: Float64Array; y: Float64Array } = { t: SERIES_T.view(0), y: SERIES_Y.view(0) };

export class BucketHistory {
  /**
   * Each sealed bucket's mean less `base`, in float32: a forecaster's history is most of its
   * memory (8 days of 30-minute buckets, one forecaster per limit in a fleet), and a difference
   * keeps 7 digits of what the series moves by, not of its magnitude (a disk's bytes near 1e12).
   */
  private readonly offsets: Float32Array;
  private base = NaN;
  private firstMs = NaN;
  private lastMs_ = NaN;
  private newest_ = NaN;
  private partial: [number, number, number] = [0, 0, 0];
  private fullCount = 0;

  constructor(
    readonly bucketMs: number,
    retainMs: number
  ) {
    if (!(bucketMs > 0) || !(retainMs >= bucketMs)) {
      throw new Error('a crossing forecaster needs bucketMs > 0 and retainMs >= bucketMs');
    }
    const slots = Math.ceil(retainMs / bucketMs);
    // A view on a region of the models' slab: a buffer of its own would cost ~0.5 kB more (shared/arrays.ts).
    const { buffer, offset } = modelRegion(4 * slots);
    this.offsets = new Float32Array(buffer, offset, slots).fill(NaN);
  }

  /** Timestamp of the newest sample (NaN before the first). */
  get lastMs(): number {
    return this.lastMs_;
  }

  /** Absolute index of the newest (filling) bucket. */
  get newest(): number {
    return this.newest_;
  }

  /** Time the history covers, in ms (0 before two samples). */
  get historyMs(): number {
    return Number.isNaN(this.firstMs) ? 0 : this.lastMs_ - this.firstMs;
  }

  /**
   * Feeds one sample (NaN and out-of-order samples are ignored); returns the index of the bucket
   * this sample sealed (the one before it), or null.
   */
  update(timestampMs: number, value: number): number | null {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs) || timestampMs <= this.lastMs_) {
      return null;
    }
    const k = Math.floor(timestampMs / this.bucketMs);
    let sealed: number | null = null;
    if (Number.isNaN(this.newest_)) {
      this.firstMs = timestampMs;
      this.newest_ = k;
    } else if (k > this.newest_) {
      const [sum, count] = this.partial;
      // A bucket of fewer than half the samples of a full one (a scrape gap inside it or at its
      // edge) is left out, as empty: its mean is noisier than the history's resets are judged by.
      // What a full bucket holds is then halved, so that a slower scrape becomes the full one.
      const short = count < this.fullCount / 2;
      this.seal(this.newest_, count > 0 && !short ? sum / count : NaN);
      this.fullCount = short ? this.fullCount / 2 : count;
      sealed = this.newest_;
      // Buckets skipped by a gap are empty, not the old values of their ring slots.
      for (let j = this.newest_ + 1; j < k && j <= this.newest_ + this.offsets.length; j++) {
        this.offsets[j % this.offsets.length] = NaN;
      }
      this.newest_ = k;
      this.partial[0] = 0;
      this.partial[1] = 0;
      this.partial[2] = 0;
      this.firstMs = Math.max(this.firstMs, (k - this.offsets.length + 1) * this.bucketMs);
    }
    this.partial[0] += value;
    this.partial[1] += 1;
    this.partial[2] += timestampMs;
    this.lastMs_ = timestampMs;
    return sealed;
  }

  /**
   * How much noisier the filling bucket's mean is than a full bucket's: the ratio of the variance of
   * a mean over its samples to one over as many as a full bucket holds (at least 1).
   */
  get fillingVarianceRatio(): number {
    const count = this.partial[1];
    return count > 0 ? Math.max(1, this.fullCount / count) : 1;
  }

  /** Empties sealed bucket k (an outlier found in it): it is read as a gap from then on. */
  drop(k: number): void {
    if (k < this.newest_ && k > this.newest_ - this.offsets.length) {
      this.offsets[k % this.offsets.length] = NaN;
    }
  }

  /**
   * Keeps bucket k's mean (NaN: empty); the first mean kept is the base of all. A mean farther from
   * it than a float32 holds (3.4e38) is left out, as an empty bucket: a saved history holds finite numbers.
   */
  private seal(k: number, mean: number): void {
    if (Number.isNaN(this.base) && Number.isFinite(mean)) {
      this.base = mean;
    }
    const offset = Math.fround(mean - this.base);
    this.offsets[k % this.offsets.length] = Number.isFinite(offset) ? offset : NaN;
  }

  /** The mean of the bucket in `slot` (NaN: empty). */
  private meanAt(slot: number): number {
    return this.base + this.offsets[slot];
  }

  /**
   * Bucket times (the filling one at its samples' mean time) and signed means, oldest first, as
   * views of arrays shared by every history: valid until the next series() of any.
   */
  series(sign: number): { readonly t: Float64Array; readonly y: Float64Array } {
    const m = this.offsets.length;
    const t = SERIES_T.room(m + 1);
    const y = SERIES_Y.room(m + 1);
    let n = 0;
    // From the first sample's bucket on (or just before it: the test below decides), its ring slot
    // stepped along rather than taken modulo the ring each time: read at every step of every forecaster.
    const first = Math.max(this.newest_ - m + 1, Math.floor(this.firstMs / this.bucketMs) - 1);
    let slot = ((first % m) + m) % m;
    for (let k = first; k < this.newest_; k++) {
      const v = this.meanAt(slot);
      if (!Number.isNaN(v) && (k + 1) * this.bucketMs > this.firstMs) {
        t[n] = k * this.bucketMs + this.bucketMs / 2;
        y[n] = sign * v;
        n++;
      }
      slot = slot === m - 1 ? 0 : slot + 1;
    }
    const [sum, count, sumT] = this.partial;
    // A sum past the largest double is an empty bucket (as seal() and valueAt() read it).
    if (count > 0 && Number.isFinite(sum)) {
      t[n] = sumT / count;
      y[n] = (sign * sum) / count;
      n++;
    }
    read.t = SERIES_T.view(n);
    read.y = SERIES_Y.view(n);
    return read;
  }

  /**
   * The lowest and highest means it holds, the filling bucket's included (null: none). Read from
   * the ring in place: series() writes the scratch a forecaster's last read is a view of.
   */
  range(): SeenRange | null {
    let lowest = Infinity;
    let highest = -Infinity;
    const m = this.offsets.length;
    // The filling bucket's slot still holds the bucket a whole ring before it, gone from the history.
    const filling = ((this.newest_ % m) + m) % m;
    for (let slot = 0; slot < m; slot++) {
      const v = this.meanAt(slot);
      if (slot !== filling && !Number.isNaN(v)) {
        lowest = Math.min(lowest, v);
        highest = Math.max(highest, v);
      }
    }
    const [sum, count] = this.partial;
    if (count > 0 && Number.isFinite(sum)) {
      lowest = Math.min(lowest, sum / count);
      highest = Math.max(highest, sum / count);
    }
    return lowest <= highest ? { lowest, highest } : null;
  }

  /** The signed history at a past time, interpolated between bucket centres (one side when the other is empty). */
  interpolated(sign: number, ms: number): number | null {
    const p = ms / this.bucketMs - 0.5;
    const k = Math.floor(p);
    const a = this.valueAt(sign, k * this.bucketMs);
    const b = this.valueAt(sign, (k + 1) * this.bucketMs);
    if (a === null || b === null) {
      return a ?? b;
    }
    return a + (b - a) * (p - k);
  }

  /** The signed bucket mean at a past time, if that bucket holds data. */
  valueAt(sign: number, ms: number): number | null {
    const k = Math.floor(ms / this.bucketMs);
    if (k > this.newest_ || k <= this.newest_ - this.offsets.length) {
      return null;
    }
    const v = k === this.newest_ ? this.partial[0] / this.partial[1] : this.meanAt(k % this.offsets.length);
    return Number.isFinite(v) ? sign * v : null;
  }

  toState(): BucketHistoryState {
    const n = (x: number): number | null => (Number.isNaN(x) ? null : x);
    const [sum, count, sumT] = this.partial;
    return {
      firstMs: n(this.firstMs),
      lastMs: n(this.lastMs_),
      newest: n(this.newest_),
      // A sum that has left the doubles stays out of them until the bucket is sealed (empty): saved as null.
      partial: [Number.isFinite(sum) ? sum : null, count, sumT],
      fullCount: this.fullCount,
      base: n(this.base),
      offsets: Array.from(this.offsets, n),
    };
  }

  /**
   * Restores `toState()` output taken with the same options (`offsets`, crossing forecaster states of
   * version 3), or a history of the means themselves (`means`, versions 1 and 2: each mean is then kept
   * as its float32 difference from the oldest); a clear message (for the caller's Error) otherwise.
   */
  restore(state: unknown, held: 'offsets' | 'means'): string | null {
    const parsed = held === 'offsets' ? bucketHistoryStateSchema.safeParse(state) : meansStateSchema.safeParse(state);
    if (!parsed.success) {
      return 'its history is malformed';
    }
    const s = parsed.data;
    const kept = 'offsets' in s ? s.offsets : s.means;
    if (kept.length !== this.offsets.length) {
      return 'its history does not fit its options';
    }
    this.firstMs = s.firstMs ?? NaN;
    this.lastMs_ = s.lastMs ?? NaN;
    this.newest_ = s.newest ?? NaN;
    this.partial = [s.partial[0] ?? NaN, s.partial[1], s.partial[2]];
    this.fullCount = 'fullCount' in s ? (s.fullCount ?? 0) : 0;
    if ('offsets' in s) {
      this.base = s.base ?? NaN;
      this.offsets.set(s.offsets.map((x) => x ?? NaN));
      return null;
    }
    // Oldest first, so that the base is the first bucket this build would have kept (the ring not yet wrapped).
    const m = kept.length;
    for (let k = this.newest_ - m + 1; k <= this.newest_; k++) {
      const slot = ((k % m) + m) % m;
      this.seal(slot, s.means[slot] ?? NaN);
    }
    return null;
  }
}
