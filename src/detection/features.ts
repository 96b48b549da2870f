import { z } from 'zod';
import { stateIssues } from './shared/json';

/**
 * Temporal features of one series, computed online one sample at a time with the same code for
 * training and scoring (the original design's feature engineering: hour-of-day sin/cos, day of
 * week, rolling means and deviations, first differences, rates). Rolling windows are time-based
 * ring buffers, so irregular spacing is handled; a gap (a step much longer than the usual one)
 * breaks differences and rates instead of inventing a slope across missing data.
 */

const MS_HOUR = 3_600_000;
const MS_DAY = 86_400_000;

/** The extractor's options, each with its default: what the constructor takes and a saved state holds. */
const FEATURE_OPTIONS = z.object({
  /** Rolling window lengths in ms. */
  windowsMs: z.array(z.number().positive()).default([5 * 60_000, MS_HOUR]),
  /** Treat the series as a counter: `rate` then handles resets as PromQL's rate does. */
  counter: z.boolean().default(false),
  /** A step longer than this many times the usual step is a gap. */
  gapFactor: z.number().positive().default(3),
  /** Most samples kept per rolling window; older ones drop out first. */
  capacity: z.number().int().min(1).default(1024),
  /** Offset of local time from UTC in minutes, for the hour and weekday features. */
  utcOffsetMinutes: z.number().default(0),
});
export type TemporalFeatureOptions = z.input<typeof FEATURE_OPTIONS>;
/** The options, all present: what a saved state holds. */
type TemporalFeatureSettings = z.output<typeof FEATURE_OPTIONS>;

/** The options with their defaults filled in; throws naming a bad one. */
function featureOptions(options: TemporalFeatureOptions): TemporalFeatureSettings {
  const parsed = FEATURE_OPTIONS.safeParse(options);
  if (!parsed.success) {
    throw new Error(`Temporal feature options: ${stateIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Column names of the feature row, in order, for the given options. */
export function featureNames(options: TemporalFeatureOptions = {}): string[] {
  const names = ['hour_sin', 'hour_cos', 'day_of_week', 'value', 'diff', 'rate'];
  for (const w of featureOptions(options).windowsMs) {
    names.push(`mean_${w / 1000}s`, `std_${w / 1000}s`);
  }
  return names;
}

/** Hour of day as a point on the unit circle, so 23:59 and 00:00 are neighbours. */
export function hourOfDay(timestampMs: number, utcOffsetMinutes = 0): [number, number] {
  const t = timestampMs + utcOffsetMinutes * 60_000;
  const hours = (((t % MS_DAY) + MS_DAY) % MS_DAY) / MS_HOUR;
  const angle = (2 * Math.PI * hours) / 24;
  return [Math.sin(angle), Math.cos(angle)];
}

/** Day of week, Monday = 0 ... Sunday = 6 (pandas' `dayofweek`). 1970-01-01 was a Thursday. */
export function dayOfWeek(timestampMs: number, utcOffsetMinutes = 0): number {
  const days = Math.floor((timestampMs + utcOffsetMinutes * 60_000) / MS_DAY);
  return (((days + 3) % 7) + 7) % 7;
}

/**
 * PromQL's `rate()` over the samples of one range [rangeStartMs, rangeEndMs]: the increase with
 * counter resets added back (a drop means the counter restarted from zero), extrapolated to the
 * range edges as Prometheus' extrapolatedRate does, per second. NaN with fewer than 2 samples.
 */
export function promRate(
  timestampsMs: ArrayLike<number>,
  values: ArrayLike<number>,
  rangeStartMs: number,
  rangeEndMs: number
): number {
  let n = 0;
  let firstT = NaN;
  let firstV = NaN;
  let lastT = NaN;
  let prev = NaN;
  let increase = 0;
  for (let i = 0; i < timestampsMs.length; i++) {
    const t = timestampsMs[i];
    const v = values[i];
    if (t < rangeStartMs || t > rangeEndMs || Number.isNaN(v)) {
      continue;
    }
    if (n === 0) {
      firstT = t;
      firstV = v;
    } else {
      increase += v < prev ? v : v - prev;
    }
    prev = v;
    lastT = t;
    n++;
  }
  if (n < 2) {
    return NaN;
  }
  return (
    extrapolate(increase, firstV, firstT, lastT, n, rangeStartMs, rangeEndMs) / ((rangeEndMs - rangeStartMs) / 1000)
  );
}

function extrapolate(
  increase: number,
  firstV: number,
  firstT: number,
  lastT: number,
  n: number,
  startMs: number,
  endMs: number
): number {
  const sampled = (lastT - firstT) / 1000;
  if (!(sampled > 0)) {
    return NaN;
  }
  const average = sampled / (n - 1);
  let toStart = (firstT - startMs) / 1000;
  const toEnd = (endMs - lastT) / 1000;
  // A counter cannot have been below zero: do not extrapolate past the point it would hit zero.
  if (increase > 0 && firstV >= 0) {
    toStart = Math.min(toStart, sampled * (firstV / increase));
  }
  const limit = average * 1.1;
  const interval = sampled + (toStart < limit ? toStart : average / 2) + (toEnd < limit ? toEnd : average / 2);
  return increase * (interval / sampled);
}

/** Serialisable state of `TemporalFeatures`. */
export interface TemporalFeatureState {
  options: TemporalFeatureSettings;
  lastT: number;
  lastV: number;
  meanStep: number;
  cumulative: number;
  windows: Array<{ head: number; count: number; t: number[]; v: number[]; cum: number[] }>;
}

/** A number of a state, NaN included: JSON writes it as null. */
const stored = z.union([z.number(), z.nan(), z.null()]).transform((x) => x ?? NaN);

/** The state as read back from JSON: checked, NaN restored. */
const FEATURE_STATE = z.object({
  options: FEATURE_OPTIONS.required(),
  lastT: stored,
  lastV: stored,
  meanStep: stored,
  cumulative: stored,
  windows: z.array(
    z.object({
      head: z.number().int().min(0),
      count: z.number().int().min(0),
      t: z.array(stored),
      v: z.array(stored),
      cum: z.array(stored),
    })
  ),
}) satisfies z.ZodType<TemporalFeatureState, unknown>;

/**
 * Online feature extractor. `update` writes one row of `size` columns (see `featureNames`) into
 * `out` at `offset` without allocating; it returns false (and writes NaN for the value columns)
 * when the sample is NaN or not newer than the last one, leaving the state as it was.
 */
export class TemporalFeatures {
  readonly size: number;
  private readonly opts: TemporalFeatureSettings;
  private lastT = NaN;
  private lastV = NaN;
  private meanStep = NaN;
  /** Running sum of counter increases with resets added back: rates are differences of it. */
  private cumulative = 0;
  private readonly rings: Array<{ head: number; count: number; t: Float64Array; v: Float64Array; cum: Float64Array }>;

  constructor(options: TemporalFeatureOptions = {}) {
    this.opts = featureOptions(options);
    this.size = 6 + 2 * this.opts.windowsMs.length;
    const cap = this.opts.capacity;
    this.rings = this.opts.windowsMs.map(() => ({
      head: 0,
      count: 0,
      t: new Float64Array(cap),
      v: new Float64Array(cap),
      cum: new Float64Array(cap),
    }));
  }

  update(timestampMs: number, value: number, out: Float64Array, offset = 0): boolean {
    const [s, c] = hourOfDay(timestampMs, this.opts.utcOffsetMinutes);
    out[offset] = s;
    out[offset + 1] = c;
    out[offset + 2] = dayOfWeek(timestampMs, this.opts.utcOffsetMinutes);
    if (!Number.isFinite(value) || !(timestampMs > this.lastT || Number.isNaN(this.lastT))) {
      out.fill(NaN, offset + 3, offset + this.size);
      return false;
    }
    const dt = timestampMs - this.lastT;
    const gap = !(dt <= this.opts.gapFactor * this.meanStep) && !Number.isNaN(this.meanStep);
    let diff = NaN;
    let rate = NaN;
    if (!Number.isNaN(this.lastV) && !gap) {
      diff = value - this.lastV;
      const increase = this.opts.counter ? (value < this.lastV ? value : diff) : diff;
      rate = increase / (dt / 1000);
    }
    if (!Number.isNaN(this.lastV)) {
      this.cumulative += this.opts.counter && value < this.lastV ? value : value - this.lastV;
      if (!gap) {
        // The usual step, learned slowly so that one long step does not redefine it.
        this.meanStep = Number.isNaN(this.meanStep) ? dt : this.meanStep + 0.05 * (dt - this.meanStep);
      }
    }
    out[offset + 3] = value;
    out[offset + 4] = diff;
    out[offset + 5] = rate;
    this.lastT = timestampMs;
    this.lastV = value;
    for (let w = 0; w < this.rings.length; w++) {
      const ring = this.rings[w];
      this.push(ring, timestampMs, value);
      const [mean, std] = this.moments(ring, timestampMs - this.opts.windowsMs[w]);
      out[offset + 6 + 2 * w] = mean;
      out[offset + 7 + 2 * w] = std;
    }
    return true;
  }

  /** PromQL-style rate over the last `windowIndex` window (per second), NaN with < 2 samples. */
  windowRate(windowIndex = 0): number {
    const ring = this.rings[windowIndex];
    const cap = this.opts.capacity;
    if (ring.count < 2) {
      return NaN;
    }
    const first = (ring.head - ring.count + cap) % cap;
    const last = (ring.head - 1 + cap) % cap;
    const increase = ring.cum[last] - ring.cum[first];
    const end = ring.t[last];
    return (
      extrapolate(
        increase,
        ring.v[first],
        ring.t[first],
        end,
        ring.count,
        end - this.opts.windowsMs[windowIndex],
        end
      ) /
      (this.opts.windowsMs[windowIndex] / 1000)
    );
  }

  toState(): TemporalFeatureState {
    const cap = this.opts.capacity;
    return {
      options: { ...this.opts, windowsMs: [...this.opts.windowsMs] },
      lastT: this.lastT,
      lastV: this.lastV,
      meanStep: this.meanStep,
      cumulative: this.cumulative,
      windows: this.rings.map((r) => {
        const idx = Array.from({ length: r.count }, (_, k) => (r.head - r.count + k + cap) % cap);
        return {
          head: r.count % cap,
          count: r.count,
          t: idx.map((i) => r.t[i]),
          v: idx.map((i) => r.v[i]),
          cum: idx.map((i) => r.cum[i]),
        };
      }),
    };
  }

  /** Resumes from `toState()` output (as read back from JSON); throws naming what is corrupt. */
  static fromState(raw: unknown): TemporalFeatures {
    const parsed = FEATURE_STATE.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`Corrupt feature state: ${stateIssues(parsed.error)}`);
    }
    const state = parsed.data;
    const f = new TemporalFeatures(state.options);
    if (state.windows.length !== f.rings.length) {
      throw new Error('feature state has a different number of rolling windows than its options');
    }
    f.lastT = state.lastT;
    f.lastV = state.lastV;
    f.meanStep = state.meanStep;
    f.cumulative = state.cumulative;
    state.windows.forEach((w, i) => {
      const r = f.rings[i];
      if (w.count > r.t.length || w.t.length !== w.count) {
        throw new Error('feature state holds more samples than its capacity');
      }
      r.t.set(w.t);
      r.v.set(w.v);
      r.cum.set(w.cum);
      r.count = w.count;
      r.head = w.count % r.t.length;
    });
    return f;
  }

  private push(
    ring: { head: number; count: number; t: Float64Array; v: Float64Array; cum: Float64Array },
    t: number,
    v: number
  ): void {
    const cap = this.opts.capacity;
    ring.t[ring.head] = t;
    ring.v[ring.head] = v;
    ring.cum[ring.head] = this.cumulative;
    ring.head = (ring.head + 1) % cap;
    ring.count = Math.min(ring.count + 1, cap);
  }

  /** Mean and standard deviation of the ring's samples newer than `since`; drops older ones. */
  private moments(
    ring: { head: number; count: number; t: Float64Array; v: Float64Array },
    since: number
  ): [number, number] {
    const cap = this.opts.capacity;
    while (ring.count > 1 && ring.t[(ring.head - ring.count + cap) % cap] <= since) {
      ring.count--;
    }
    // Two passes over at most `capacity` samples: exact, and no drift from running sums.
    let sum = 0;
    for (let k = 0; k < ring.count; k++) {
      sum += ring.v[(ring.head - 1 - k + cap) % cap];
    }
    const mean = sum / ring.count;
    let ss = 0;
    for (let k = 0; k < ring.count; k++) {
      const d = ring.v[(ring.head - 1 - k + cap) % cap] - mean;
      ss += d * d;
    }
    return [mean, ring.count > 1 ? Math.sqrt(ss / (ring.count - 1)) : 0];
  }
}
