/**
 * Where a bucketed history resets (a restart, a clean-up): the crossing forecaster fits its trend
 * only after the last one. It asks this of its whole history at every step, so the work is done in
 * shared scratch (single-threaded, used within one call): no array a call but the answer.
 */

import { Scratch } from './scratch';

/** A jump this many robust spreads beyond the usual bucket-to-bucket change is a reset, not a trend. */
const BREAK_SPREADS = 8;

/** What breaks() finds: views valid until its next call. */
export interface Breaks {
  /** Indices just after each reset, oldest first. */
  resets: Float64Array;
  /**
   * The same with the newest mean judged as a full bucket's, as the resets were found before the
   * bar was widened for it (the same array when that changes nothing).
   */
  plainResets: Float64Array;
  /** Indices of buckets that jump away and straight back (an outlier, not two resets), oldest first. */
  outliers: Float64Array;
}

/**
 * Where the bucket means `y` (finite, at times `t`) reset: a jump far beyond the changes around
 * it, in spread and in size (so a leak that starts, whose every step is larger than before, is no
 * reset, nor is the shorter step into a filling bucket on a noiseless rise). Jumps are looked for
 * from one bucket to the next and across two, as a shift inside a bucket is split between two
 * changes. A change across empty buckets (a scrape gap) is judged as its change per bucket spanned,
 * against the bar over the square root of the span (a trend moves the series by the span, a drift
 * by its square root): an empty stretch is no evidence of a reset. For `resets`, the newest mean's
 * changes are judged against a bar widened for its noise, its variance `lastVarianceRatio` times a
 * full bucket's (a filling bucket's first samples). A bucket that jumps away and whose next bucket
 * jumps back to the level before it is an outlier, reported apart.
 */
export function breaks(y: ArrayLike<number>, t?: ArrayLike<number>, bucketMs = 1, lastVarianceRatio = 1): Breaks {
  const n = y.length;
  if (n < 6) {
    RESULT.resets = RESETS.view(0);
    RESULT.plainResets = RESULT.resets;
    RESULT.outliers = OUTLIERS.view(0);
    return RESULT;
  }
  if (changes.length < n) {
    changes = new Float64Array(2 * n);
    usuals = new Float64Array(2 * n);
    blocks = new Float64Array(8 * n);
    found = new Uint8Array(2 * n + 1);
    steps = new Int8Array(2 * n + 1);
    across = new Uint8Array(2 * n + 1);
  }
  const d = changes;
  const usual = usuals;
  found.fill(0, 0, n + 1);
  steps.fill(0, 0, n + 1);
  across.fill(0, 0, n + 1);
  let top = 0;
  for (let i = 0; i < n; i++) {
    top = Math.max(top, Math.abs(y[i]));
  }
  const spans = t === undefined ? null : spansOf(t, n, bucketMs);
  // The filling bucket's difference from a full one: its noise and a full bucket's, over two full ones'.
  const lastWidening = Math.sqrt((1 + lastVarianceRatio) / 2);
  for (let lag = 1; lag <= 2; lag++) {
    const m = n - lag;
    const at = (lag - 1) * n;
    for (let i = 0; i < m; i++) {
      // Per `lag` buckets spanned: a gap's change is the usual change times the buckets it spans.
      d[i] = spans === null ? y[i + lag] - y[i] : (y[i + lag] - y[i]) / spans[at + i];
    }
    usualChanges(d, m, lag, usual);
    let c = 0;
    for (let i = 0; i < m; i++) {
      c = put(Math.abs(d[i] - usual[i]), c);
    }
    const spread = 1.4826 * medianOfScratch(c);
    const bar = BREAK_SPREADS * Math.max(spread, 1e-9 * top, 1e-12);
    for (let i = 0; i < m; i++) {
      // Per lag spanned the drift of a gap grows as its square root, its change as the span.
      const spanBar = spans === null ? bar : bar / Math.sqrt(spans[at + i]);
      const off = Math.abs(d[i] - usual[i]);
      if (off > Math.max(spanBar, Math.abs(usual[i]))) {
        found[i + lag] = 1;
        // Into the newest mean, a jump for `resets` and the outliers only past the bar widened for it.
        if (i + lag < n - 1 || off > Math.max(spanBar * lastWidening, Math.abs(usual[i]))) {
          if (lag === 1) {
            steps[i + 1] = d[i] > usual[i] ? 1 : -1;
          } else {
            across[i + 2] = 1;
          }
        }
      }
    }
  }
  RESULT.plainResets = resetsOf(found, n, PLAIN_RESETS);
  const newestJump = steps[n - 1] !== 0 || across[n - 1] === 1 ? 1 : 0;
  if (found[n - 1] === newestJump) {
    RESULT.resets = RESULT.plainResets;
  } else {
    found[n - 1] = newestJump;
    RESULT.resets = resetsOf(found, n, RESETS);
  }
  // Into bucket j and out of it in the other sense, while the change across it is none. From the
  // first bucket whose changes all have neighbours before them: earlier, their usual change is
  // only that of the buckets after, where a rise makes the end of a fall look like a return.
  const odd = OUTLIERS.room(n);
  let outliers = 0;
  for (let j = 6; j < n - 1; j++) {
    if (steps[j] !== 0 && steps[j + 1] === -steps[j] && across[j + 1] === 0) {
      odd[outliers++] = j;
    }
  }
  RESULT.outliers = OUTLIERS.view(outliers);
  return RESULT;
}

/**
 * The indices just after each reset, in `into`: a jump seen from one bucket to the next and again
 * across two is one reset, after its last bucket.
 */
function resetsOf(found: Uint8Array, n: number, into: Scratch): Float64Array {
  const out = into.room(n);
  let count = 0;
  for (let r = 1; r < n; r++) {
    if (found[r] === 1 && found[r + 1] === 0) {
      out[count++] = r;
    }
  }
  return into.view(count);
}

/**
 * How many times `lag` buckets each change spans, lag 1 from 0 and lag 2 from n (1 but across a
 * gap); null when none spans a gap: looked for once, so that a history without one is read as
 * fast as before.
 */
function spansOf(t: ArrayLike<number>, n: number, bucketMs: number): Float64Array | null {
  let gaps = false;
  for (let i = 0; i < n - 1 && !gaps; i++) {
    gaps = t[i + 1] - t[i] >= 1.5 * bucketMs;
  }
  if (!gaps) {
    return null;
  }
  const spans = SPANS.room(2 * n);
  for (let lag = 1; lag <= 2; lag++) {
    for (let i = 0; i + lag < n; i++) {
      spans[(lag - 1) * n + i] = Math.max(1, Math.round((t[i + lag] - t[i]) / bucketMs) / lag);
    }
  }
  return spans;
}

/** breaks()'s answer: valid until its next call. */
const RESETS = new Scratch();
const PLAIN_RESETS = new Scratch();
const SPANS = new Scratch();
const OUTLIERS = new Scratch();
const RESULT: Breaks = { resets: RESETS.view(0), plainResets: PLAIN_RESETS.view(0), outliers: OUTLIERS.view(0) };

/**
 * Writes into `usual` each of the m changes' usual value: the median of its neighbours, four each
 * side not overlapping it (changes `lag` apart share a bucket). Away from the ends the neighbours
 * are two runs of four changes; each run of four is sorted once and the two runs merged, each value
 * put at its place, counted from comparisons made numbers (1 or 0): compare-and-swap networks
 * branch on every comparison, and on noisy changes half those branches were mispredicted. The
 * sorted values are those a sort gives (the sign of a zero aside, which no absolute value below
 * sees). The ends, with fewer neighbours, are sorted as they come.
 */
function usualChanges(d: Float64Array, m: number, lag: number, usual: Float64Array): void {
  const q = blocks;
  const u = union;
  for (let j = 0; j + 3 < m; j++) {
    const v0 = d[j];
    const v1 = d[j + 1];
    const v2 = d[j + 2];
    const v3 = d[j + 3];
    // Each value's place in the run is how many of the others go before it (the earlier one on a
    // tie). Comparisons are written out, not called: a call not inlined boxes both numbers.
    const s01 = +(v1 < v0);
    const s02 = +(v2 < v0);
    const s03 = +(v3 < v0);
    const s12 = +(v2 < v1);
    const s13 = +(v3 < v1);
    const s23 = +(v3 < v2);
    const b = 4 * j;
    q[b + s01 + s02 + s03] = v0;
    q[b + 1 - s01 + s12 + s13] = v1;
    q[b + 2 - s02 - s12 + s23] = v2;
    q[b + 3 - s03 - s13 - s23] = v3;
  }
  for (let i = 0; i < m; i++) {
    const left = i - 3 - lag;
    const right = i + lag;
    if (left >= 0 && right + 3 < m) {
      // The two sorted runs merged by places (a run's k-th value goes after its k before it and
      // after the other run's values that go before it, the left run's first on a tie): the 4th
      // and 5th of the eight are the median's two middle values.
      const A = 4 * left;
      const B = 4 * right;
      const a0 = q[A];
      const a1 = q[A + 1];
      const a2 = q[A + 2];
      const a3 = q[A + 3];
      const b0 = q[B];
      const b1 = q[B + 1];
      const b2 = q[B + 2];
      const b3 = q[B + 3];
      u[+(b0 < a0) + +(b1 < a0) + +(b2 < a0) + +(b3 < a0)] = a0;
      u[1 + +(b0 < a1) + +(b1 < a1) + +(b2 < a1) + +(b3 < a1)] = a1;
      u[2 + +(b0 < a2) + +(b1 < a2) + +(b2 < a2) + +(b3 < a2)] = a2;
      u[3 + +(b0 < a3) + +(b1 < a3) + +(b2 < a3) + +(b3 < a3)] = a3;
      u[+(a0 <= b0) + +(a1 <= b0) + +(a2 <= b0) + +(a3 <= b0)] = b0;
      u[1 + +(a0 <= b1) + +(a1 <= b1) + +(a2 <= b1) + +(a3 <= b1)] = b1;
      u[2 + +(a0 <= b2) + +(a1 <= b2) + +(a2 <= b2) + +(a3 <= b2)] = b2;
      u[3 + +(a0 <= b3) + +(a1 <= b3) + +(a2 <= b3) + +(a3 <= b3)] = b3;
      usual[i] = (u[3] + u[4]) / 2;
      continue;
    }
    let c = 0;
    for (let k = Math.max(0, left); k < Math.max(0, i - lag + 1); k++) {
      c = put(d[k], c);
    }
    for (let k = right; k < Math.min(m, right + 4); k++) {
      c = put(d[k], c);
    }
    usual[i] = medianOfScratch(c);
  }
}

/** Where usualChanges merges two runs of four. */
const union = new Float64Array(8);

/**
 * breaks()'s scratch: the changes, their usual values, each run of four changes sorted, which
 * indices follow a jump; per bucket, the sense of the jump into it from the one before (0: none)
 * and whether the change into it from two before is a jump.
 */
let changes = new Float64Array(0);
let usuals = new Float64Array(0);
let blocks = new Float64Array(0);
let found = new Uint8Array(0);
let steps = new Int8Array(0);
let across = new Uint8Array(0);

export function median(xs: number[]): number {
  let n = 0;
  for (const x of xs) {
    n = put(x, n);
  }
  return medianOfScratch(n);
}

/** Where medians are taken. */
let scratch = new Float64Array(64);

/** Writes `x` at `n` of the scratch, grown as needed; returns n + 1. */
function put(x: number, n: number): number {
  if (n === scratch.length) {
    const grown = new Float64Array(2 * n);
    grown.set(scratch);
    scratch = grown;
  }
  scratch[n] = x;
  return n + 1;
}

/** The median of the scratch's first n values (NaN for none), as a sort of a copy would give it. */
function medianOfScratch(n: number): number {
  const s = scratch;
  if (n === 0) {
    return NaN;
  }
  if (n <= 16) {
    // Insertion sort: the neighbour windows at the ends hold fewer than 8.
    for (let i = 1; i < n; i++) {
      const x = s[i];
      let j = i - 1;
      while (j >= 0 && s[j] > x) {
        s[j + 1] = s[j];
        j--;
      }
      s[j + 1] = x;
    }
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
  const upper = select(s, n, n >> 1);
  if (n % 2) {
    return upper;
  }
  // After the selection everything before the upper middle is at most it: the lower middle is their largest.
  let lower = s[0];
  for (let i = 1; i < n >> 1; i++) {
    lower = Math.max(lower, s[i]);
  }
  return (lower + upper) / 2;
}

/**
 * The k-th smallest (from 0) of s's first n values, by selection (Hoare's, the median of three as
 * pivot): after it, s[k] holds it, with nothing larger before and nothing smaller after.
 */
function select(s: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const pivot = Math.max(Math.min(s[lo], s[mid]), Math.min(Math.max(s[lo], s[mid]), s[hi]));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (s[i] < pivot) {
        i++;
      }
      while (s[j] > pivot) {
        j--;
      }
      if (i <= j) {
        const x = s[i];
        s[i] = s[j];
        s[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) {
      hi = j;
    } else if (k >= i) {
      lo = i;
    } else {
      break;
    }
  }
  return s[k];
}
