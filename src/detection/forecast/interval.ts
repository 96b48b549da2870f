import { z } from 'zod';
import { modelRegion, ownRegion } from '../shared/arrays';
/**
 * Conformal intervals for the crossing forecaster's path: the model's own out-of-sample errors at
 * each horizon, standardised by the model's standard deviation there, give the band's quantiles
 * (split conformal over a rolling window of recent errors, as the lookback of Gibbs & Candès'
 * adaptive conformal inference, 2021; per-horizon calibration as in Stankeviciute et al.,
 * "Conformal time-series forecasting", 2021). No fixed miss rate is adapted online because one
 * forecaster answers for several coverages (80%, 90%, 95%); the rolling window is what follows a
 * drifting error distribution. Until a horizon has enough errors the normal quantile stands in.
 *
 * A forecast is scored against the mean of the bucket it was made for, once that bucket is sealed;
 * forecasts made before a reset that comes before their bucket are dropped (the model restarts
 * there, so they say nothing about its errors). Memory is bounded: a few pending forecasts and the
 * last `KEEP` errors per horizon, each kind in one typed ring for all horizons (RecordRings), not
 * an array per horizon and per forecast: one forecaster per limit, thousands in a fleet (issue 16).
 */

/** Horizons, in buckets, at which errors are kept (30 min to 48 h at the default bucket). */
export const CALIBRATION_HORIZONS = [1, 2, 4, 8, 16, 32, 64, 96] as const;
/** Errors kept per horizon (the rolling calibration window). */
const KEEP = 120;
/** Forecasts pending per horizon: a forecast every horizon / PENDING buckets. */
const PENDING = 8;
/** Buckets from one forecast a horizon keeps to the next. */
const strideOf = (h: number): number => Math.max(1, Math.floor(h / PENDING));
/**
 * Forecasts a horizon can have pending once a bucket is observed: those made in its last h buckets,
 * this one included (older ones were due, and scored or dropped): 1, 2, 4, then 8 each.
 */
const PENDING_LIMITS = CALIBRATION_HORIZONS.map((h) => Math.ceil(h / strideOf(h)));
/** Errors each horizon keeps. */
const KEEP_LIMITS = CALIBRATION_HORIZONS.map(() => KEEP);
/** Fewest errors a horizon needs before its quantiles replace the normal ones. */
const MIN_ERRORS = 40;

/** A forecast waiting for its bucket: [bucket index, mean, sd, time of the reset it was made after]. */
type Pending = [number, number, number, number];

/** Plain JSON of a HorizonCalibration, as a saved one must be (zod's numbers are finite). */
const calibrationStateSchema = z.object({
  pending: z
    .array(z.array(z.tuple([z.number(), z.number(), z.number(), z.number()])))
    .length(CALIBRATION_HORIZONS.length)
    .refine((queues) => queues.every((q, i) => q.length <= PENDING_LIMITS[i])),
  /** Per horizon, standardised errors (actual - mean) / sd in the series' own sense, oldest first. */
  errors: z.array(z.array(z.number()).max(KEEP)).length(CALIBRATION_HORIZONS.length),
});
export type CalibrationState = z.infer<typeof calibrationStateSchema>;

/** The model's forecast of the signed mean of bucket `k` (null: no forecast). */
export type BucketForecast = (k: number) => { mean: number; sd: number } | null;

/**
 * One FIFO queue per horizon of records of `width` numbers, all in one typed array (float32 where
 * the numbers allow it), allocated at the first push: a forecaster that never makes a forecast
 * holds none. Each queue has room of its own, doubled (never past its limit) when it fills, since
 * horizons fill at different rates (the longest keeps one error every 12 buckets). A queue at its
 * limit drops its oldest on a push.
 */
class RecordRings {
  /** Bytes a ring keeps per queue (see `counts`). */
  static readonly BYTES_PER_QUEUE = 3;

  private buf: Float64Array | Float32Array = NO_RECORDS;

  constructor(
    /**
     * Per queue, BYTES_PER_QUEUE bytes from `base` (a small array several rings share): the slot of
     * its oldest record (at base + q), its length (base + queues + q) and the records it has room
     * for (base + 2 queues + q); limits are at most 255.
     */
    private readonly counts: Uint8Array,
    private readonly base: number,
    private readonly kind: Float64ArrayConstructor | Float32ArrayConstructor,
    private readonly width: number,
    /** Most records each queue keeps (shared by every forecaster's rings). */
    private readonly limits: readonly number[],
    /** Room every queue gets at the first push (its limit, if less). */
    private readonly initialRoom: number
  ) {}

  length(q: number): number {
    return this.counts[this.lengthAt(q)];
  }

  /** Field `f` of the k-th oldest record of queue q. */
  at(q: number, k: number, f: number): number {
    return this.buf[this.recordAt(q, k) + f];
  }

  /** The k-th oldest record of queue q. */
  record(q: number, k: number): number[] {
    return Array.from({ length: this.width }, (_, f) => this.at(q, k, f));
  }

  /** Appends a record: field a (width 1), or fields a, b, c, d (width 4: the only widths used). */
  push(q: number, a: number, b = 0, c = 0, d = 0): void {
    const length = this.counts[this.lengthAt(q)];
    if (length === this.limits[q]) {
      this.shift(q);
    } else if (length === this.counts[this.roomAt(q)]) {
      this.grow(q);
    }
    const at = this.recordAt(q, this.counts[this.lengthAt(q)]);
    this.buf[at] = a;
    if (this.width === 4) {
      this.buf[at + 1] = b;
      this.buf[at + 2] = c;
      this.buf[at + 3] = d;
    }
    this.counts[this.lengthAt(q)]++;
  }

  shift(q: number): void {
    this.counts[this.headAt(q)] = (this.counts[this.headAt(q)] + 1) % this.counts[this.roomAt(q)];
    this.counts[this.lengthAt(q)]--;
  }

  clear(): void {
    this.counts.fill(0, this.headAt(0), this.roomAt(0));
  }

  /** Where in `counts` queue q's oldest slot, its length and its room are. */
  private headAt(q: number): number {
    return this.base + q;
  }

  private lengthAt(q: number): number {
    return this.base + this.limits.length + q;
  }

  private roomAt(q: number): number {
    return this.base + 2 * this.limits.length + q;
  }

  /** The record queue q's room starts at: the rooms of the queues before it, in turn. */
  private startOf(q: number): number {
    let start = 0;
    for (let p = 0; p < q; p++) {
      start += this.counts[this.roomAt(p)];
    }
    return start;
  }

  /** Where in `buf` the k-th oldest record of queue q begins (k may be its length: the next one). */
  private recordAt(q: number, k: number): number {
    return (this.startOf(q) + ((this.counts[this.headAt(q)] + k) % this.counts[this.roomAt(q)])) * this.width;
  }

  /** Twice the room for queue `full` (the initial room for every queue at first), each queue copied oldest first. */
  private grow(full: number): void {
    const n = this.limits.length;
    const old = this.buf;
    const rooms = Array.from({ length: n }, (_, q) => this.counts[this.roomAt(q)]);
    const starts = rooms.map((_, q) => this.startOf(q));
    for (let q = 0; q < n; q++) {
      const room = Math.max(rooms[q], q === full ? 2 * rooms[q] : 0, this.initialRoom);
      this.counts[this.roomAt(q)] = Math.min(this.limits[q], room);
    }
    // Every queue at its limit: a view on a region of the models' slab (a buffer of its own would cost
    // ~0.5 kB more, shared/arrays.ts); while any grows, buffers of its own (a slab would keep each one outgrown).
    const records = this.startOf(n);
    const bytes = records * this.width * this.kind.BYTES_PER_ELEMENT;
    const final = this.limits.every((limit, q) => this.counts[this.roomAt(q)] === limit);
    const { buffer, offset } = final ? modelRegion(bytes) : ownRegion(bytes);
    this.buf = new this.kind(buffer, offset, records * this.width);
    for (let q = 0; q < n; q++) {
      const head = this.counts[this.headAt(q)];
      const start = this.startOf(q);
      for (let k = 0; k < this.length(q); k++) {
        const from = (starts[q] + ((head + k) % rooms[q])) * this.width;
        for (let f = 0; f < this.width; f++) {
          this.buf[(start + k) * this.width + f] = old[from + f];
        }
      }
      this.counts[this.headAt(q)] = 0;
    }
  }
}

/** What a ring holds before its first record. */
const NO_RECORDS = new Float64Array(0);

/** Counts every change of any calibration's errors: each change stamps its calibration with a number of its own. */
let changes = 0;

/**
 * The errors of the calibration last asked, sorted per horizon, under the stamp of their last
 * change: a crossing asks an edge's quantile at hundreds of horizons, and sorted them all afresh
 * each time. One for all calibrations (a fleet holds thousands), sorted again when another
 * calibration, or this one changed, asks (calibrations that never held an error share stamp 0).
 */
let lastSorted: { stamp: number; byHorizon: Array<number[] | undefined> } = { stamp: 0, byHorizon: [] };

export class HorizonCalibration {
  /** Per horizon, forecasts waiting for their bucket (Pending records, float64: an error is actual - mean). */
  private readonly pending: RecordRings;
  /**
   * Per horizon, the last KEEP standardised errors in float32: their quantiles scale an interval's
   * width, where 7 digits are more than a conformal quantile of 120 errors resolves.
   */
  private readonly errors: RecordRings;
  /** The stamp of its errors' last change (see lastSorted). */
  private stamp = 0;

  constructor() {
    // Both rings' counts in one array, small enough (64 bytes at most) for V8 to keep on its heap: an
    // array beside it costs ~0.25 kB, and one with a buffer of its own ~0.35 kB more.
    const n = CALIBRATION_HORIZONS.length * RecordRings.BYTES_PER_QUEUE;
    const counts = new Uint8Array(2 * n);
    // Pending queues are given their limits at once: they are full within a horizon of the first forecast.
    this.pending = new RecordRings(counts, 0, Float64Array, 4, PENDING_LIMITS, Math.max(...PENDING_LIMITS));
    this.errors = new RecordRings(counts, n, Float32Array, 1, KEEP_LIMITS, 8);
  }

  /** Errors kept at each horizon (for tests and the backtest). */
  get counts(): number[] {
    return CALIBRATION_HORIZONS.map((_, i) => this.errors.length(i));
  }

  /**
   * Bucket `k` was sealed with mean `actual` (null if empty): scores the forecasts made for it
   * after the same reset `resetMs`, then records the new forecasts `forecast` makes from now of
   * the signed series (`sign` +1, or -1 for a path towards a lower limit).
   */
  observe(k: number, actual: number | null, resetMs: number, sign: number, forecast: BucketForecast | null): void {
    const queue = this.pending;
    const hs = CALIBRATION_HORIZONS;
    for (let i = 0; i < hs.length; i++) {
      const h = hs[i];
      while (queue.length(i) > 0 && queue.at(i, 0, 0) <= k) {
        const due = queue.at(i, 0, 0);
        const mean = queue.at(i, 0, 1);
        const sd = queue.at(i, 0, 2);
        const madeAfter = queue.at(i, 0, 3);
        queue.shift(i);
        if (due === k && actual !== null && madeAfter === resetMs && sd > 0) {
          this.errors.push(i, (actual - mean) / sd);
          this.stamp = ++changes;
        }
      }
      if (forecast && k % strideOf(h) === 0) {
        const f = forecast(k + h);
        if (f && Number.isFinite(f.mean) && f.sd > 0) {
          // Kept in the series' own sense: a forecast of the negated series is negated back.
          queue.push(i, k + h, sign * f.mean, f.sd, resetMs);
        }
      }
    }
  }

  /**
   * The standardised error at probability `p` (e.g. 0.975 for the upper edge of a 95% band), at
   * `buckets` ahead, in the sense `sign`; null when too few errors are known there.
   */
  quantile(buckets: number, p: number, sign: number): number | null {
    if (sign < 0) {
      const q = this.quantile(buckets, 1 - p, 1);
      return q === null ? null : -q;
    }
    const hs = CALIBRATION_HORIZONS;
    const at = Math.min(Math.max(buckets, hs[0]), hs[hs.length - 1]);
    let j = 0;
    while (j < hs.length - 1 && hs[j + 1] < at) {
      j++;
    }
    const a = conformalQuantile(this.sortedErrorsAt(j), p);
    const b = j + 1 < hs.length ? conformalQuantile(this.sortedErrorsAt(j + 1), p) : a;
    if (a === null || b === null || at <= hs[j]) {
      return at <= hs[j] ? a : null;
    }
    // Between two calibrated horizons: interpolated on a log scale of the horizon.
    const w = Math.log(at / hs[j]) / Math.log(hs[j + 1] / hs[j]);
    return a + (b - a) * w;
  }

  /** The errors kept at horizon i, in ascending order. */
  private sortedErrorsAt(i: number): number[] {
    if (lastSorted.stamp !== this.stamp) {
      lastSorted = { stamp: this.stamp, byHorizon: [] };
    }
    let sorted = lastSorted.byHorizon[i];
    if (sorted === undefined) {
      sorted = this.errorsAt(i).sort((x, y) => x - y);
      lastSorted.byHorizon[i] = sorted;
    }
    return sorted;
  }

  /** The errors kept at horizon i, oldest first. */
  private errorsAt(i: number): number[] {
    return Array.from({ length: this.errors.length(i) }, (_, k) => this.errors.at(i, k, 0));
  }

  toState(): CalibrationState {
    return {
      pending: CALIBRATION_HORIZONS.map((_, i) =>
        Array.from({ length: this.pending.length(i) }, (_, k) => this.pending.record(i, k) as Pending)
      ),
      errors: CALIBRATION_HORIZONS.map((_, i) => this.errorsAt(i)),
    };
  }

  /** Restores `toState()` output; a clear message (for the caller's Error) when it is malformed. */
  restore(state: unknown): string | null {
    const parsed = calibrationStateSchema.safeParse(state);
    if (!parsed.success) {
      return 'its interval calibration is malformed';
    }
    const s = parsed.data;
    this.pending.clear();
    this.errors.clear();
    this.stamp = ++changes;
    s.pending.forEach((q, i) => q.forEach((p) => this.pending.push(i, p[0], p[1], p[2], p[3])));
    s.errors.forEach((e, i) => e.forEach((x) => this.errors.push(i, x)));
    return null;
  }
}

/**
 * The split-conformal quantile of the errors (`sorted` ascending) at probability p: the
 * ceil((n+1)p)-th smallest for an upper edge, the floor((n+1)p)-th for a lower one (finite-sample
 * valid); null below MIN_ERRORS or when that rank falls outside the sample.
 */
function conformalQuantile(sorted: number[], p: number): number | null {
  const n = sorted.length;
  if (n < MIN_ERRORS) {
    return null;
  }
  const rank = p >= 0.5 ? Math.ceil((n + 1) * p) : Math.floor((n + 1) * p);
  if (rank < 1 || rank > n) {
    return null;
  }
  return sorted[rank - 1];
}
