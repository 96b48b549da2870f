/**
 * The plot's time axis: the union of the series' timestamps, and its reduction to min/max per
 * time bucket so that a long range draws about one bucket per pixel without losing spikes.
 */

// What an output row of a bucket holds.
const VALUE = 0;
const GAP = 1;
const NO_SAMPLE = 2;

export interface UnionAxis {
  /** Sorted, distinct. */
  time: Float64Array;
  /** Row of each of these times on the axis; null when they are the axis itself (row i is time i). */
  rowsOf(time: Float64Array): Int32Array | null;
}

/** The sorted union of several ascending time arrays; when all are equal (the usual case), the first itself. */
export function unionAxis(times: Float64Array[]): UnionAxis {
  const equal = sameTimes;
  // Series of one query usually share their timestamps: merge each distinct array once.
  const distinct: Float64Array[] = [];
  for (const t of times) {
    if (!distinct.some((d) => equal(d, t))) {
      distinct.push(t);
    }
  }
  let time = distinct[0] ?? new Float64Array(0);
  if (distinct.length > 1) {
    const all = new Float64Array(distinct.reduce((n, t) => n + t.length, 0));
    let o = 0;
    for (const t of distinct) {
      all.set(t, o);
      o += t.length;
    }
    all.sort();
    let n = 0;
    for (let i = 0; i < all.length; i++) {
      if (n === 0 || all[i] !== all[n - 1]) {
        all[n++] = all[i];
      }
    }
    time = all.slice(0, n);
  }
  const cache = new Map<Float64Array, Int32Array>();
  return {
    time,
    rowsOf(t) {
      if (equal(t, time)) {
        return null;
      }
      const d = distinct.find((x) => equal(x, t)) ?? t;
      let rows = cache.get(d);
      if (!rows) {
        rows = new Int32Array(d.length);
        let r = 0;
        for (let i = 0; i < d.length; i++) {
          while (time[r] < d[i]) {
            r++;
          }
          rows[i] = r;
        }
        cache.set(d, rows);
      }
      return rows;
    },
  };
}

/** Element by element: the series of one query usually hold equal but distinct arrays. */
function sameTimes(a: Float64Array, b: Float64Array): boolean {
  if (a === b) {
    return true;
  }
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

export interface Buckets {
  /** x of every output row: each bucket's first time, and its last when it holds more than one. */
  time: number[];
  /**
   * Values on the axis (or at `rows` of it) → the bucket's min and max in time order, clamped to
   * `range` if given; null: a gap (samples, none finite); undefined: no sample.
   */
  reduce(
    values: ArrayLike<number>,
    rows: Int32Array | null,
    range?: [number, number]
  ): Array<number | null | undefined>;
}

/** Equal time buckets over the axis, at most `count`; every row its own bucket when there are few. */
export function bucketsOf(axis: Float64Array, count: number): Buckets {
  const n = axis.length;
  // Bucket b covers axis rows [starts[b], starts[b + 1]).
  const starts: number[] = [];
  if (n <= 2 * count) {
    for (let i = 0; i <= n; i++) {
      starts.push(i);
    }
  } else {
    const t0 = axis[0];
    const scale = count / (axis[n - 1] - t0 || 1);
    let last = -1;
    for (let i = 0; i < n; i++) {
      const b = Math.min(count - 1, Math.floor((axis[i] - t0) * scale));
      if (b !== last) {
        starts.push(i);
        last = b;
      }
    }
    starts.push(n);
  }
  const buckets = starts.length - 1;
  // Output row of each bucket's first axis row; a bucket of several rows gives two output rows.
  const outRow = new Int32Array(buckets + 1);
  const time: number[] = [];
  for (let b = 0; b < buckets; b++) {
    outRow[b] = time.length;
    time.push(axis[starts[b]]);
    if (starts[b + 1] - starts[b] > 1) {
      time.push(axis[starts[b + 1] - 1]);
    }
  }
  outRow[buckets] = time.length;
  const bucketOfRow = new Int32Array(n);
  for (let b = 0; b < buckets; b++) {
    bucketOfRow.fill(b, starts[b], starts[b + 1]);
  }

  return {
    time,
    reduce(values, rows, range) {
      const lowest = range ? range[0] : -Infinity;
      const highest = range ? range[1] : Infinity;
      // Numbers gathered unboxed; only a field with gaps or missing samples needs a mixed array.
      const out = new Float64Array(time.length);
      const kind = new Uint8Array(time.length).fill(NO_SAMPLE);
      const m = values.length;
      let i = 0;
      while (i < m) {
        // The samples of one bucket: i .. j-1.
        const b = bucketOfRow[rows ? rows[i] : i];
        let j = i;
        let lo = Infinity;
        let hi = -Infinity;
        let loAt = -1;
        let hiAt = -1;
        while (j < m && bucketOfRow[rows ? rows[j] : j] === b) {
          const v = values[j];
          if (v < lo) {
            lo = v;
            loAt = j;
          }
          if (v > hi) {
            hi = v;
            hiAt = j;
          }
          j++;
        }
        const r = outRow[b];
        const width = outRow[b + 1] - r;
        if (loAt < 0) {
          // Only NaN: uPlot draws a gap at null.
          kind.fill(GAP, r, r + width);
        } else {
          lo = Math.min(highest, Math.max(lowest, lo));
          hi = Math.min(highest, Math.max(lowest, hi));
          out[r] = width === 1 ? lo : loAt <= hiAt ? lo : hi;
          kind[r] = VALUE;
          if (width === 2) {
            out[r + 1] = loAt <= hiAt ? hi : lo;
            kind[r + 1] = VALUE;
          }
        }
        i = j;
      }
      // Filled by index, not Array.from (which iterates a typed array slowly): a field of numbers
      // only stays an unboxed double array; a gap or a missing sample makes it a mixed one.
      const plain = kind.indexOf(GAP) < 0 && kind.indexOf(NO_SAMPLE) < 0;
      const result = new Array<number | null | undefined>(time.length);
      for (let r = 0; r < time.length; r++) {
        result[r] = plain || kind[r] === VALUE ? out[r] : kind[r] === GAP ? null : undefined;
      }
      return result;
    },
  };
}
