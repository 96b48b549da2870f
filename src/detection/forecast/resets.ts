/**
 * Where a bucketed history resets (a restart, a clean-up): the crossing forecaster fits its trend
 * only after the last one. It asks this of its whole history at every step, so the work is done in
 * shared scratch (single-threaded, used within one call): no array a call but the answer.
 */

import { Scratch } from './scratch';

/** A jump this many robust spreads beyond the usual bucket-to-bucket change is a reset, not a trend. */
const BREAK_SPREADS = 8;

/**
 * Indices just after each reset, oldest first (a view valid until the next call): a jump far beyond the changes around it, in spread
 * and in size (so a leak that starts, whose every step is larger than before, is no reset, nor is
 * the shorter step into a filling bucket on a noiseless rise). Jumps are looked for from one bucket
 * to the next and across two, as a shift inside a bucket is split between two changes. The values
 * are finite (bucket means).
 */
export function breaks(y: ArrayLike<number>): Float64Array {
  const n = y.length;
  if (n < 6) {
    return RESETS.view(0);
  }
  if (changes.length < n) {
    changes = new Float64Array(2 * n);
    usuals = new Float64Array(2 * n);
    blocks = new Float64Array(8 * n);
    found = new Uint8Array(2 * n + 1);
  }
  const d = changes;
  const usual = usuals;
  found.fill(0, 0, n + 1);
  let top = 0;
  for (let i = 0; i < n; i++) {
    top = Math.max(top, Math.abs(y[i]));
  }
  for (let lag = 1; lag <= 2; lag++) {
    const m = n - lag;
    for (let i = 0; i < m; i++) {
      d[i] = y[i + lag] - y[i];
    }
    usualChanges(d, m, lag, usual);
    let c = 0;
    for (let i = 0; i < m; i++) {
      c = put(Math.abs(d[i] - usual[i]), c);
    }
    const spread = 1.4826 * medianOfScratch(c);
    const bar = BREAK_SPREADS * Math.max(spread, 1e-9 * top, 1e-12);
    for (let i = 0; i < m; i++) {
      if (Math.abs(d[i] - usual[i]) > Math.max(bar, Math.abs(usual[i]))) {
        found[i + lag] = 1;
      }
    }
  }
  // A jump seen from one bucket to the next and again across two is one reset, after its last bucket.
  const out = RESETS.room(n);
  let count = 0;
  for (let r = 1; r < n; r++) {
    if (found[r] === 1 && found[r + 1] === 0) {
      out[count++] = r;
    }
  }
  return RESETS.view(count);
}

/** breaks()'s answer: valid until its next call. */
const RESETS = new Scratch();

/**
 * Writes into `usual` each of the m changes' usual value: the median of its neighbours, four each
 * side not overlapping it (changes `lag` apart share a bucket). Away from the ends the neighbours
 * are two runs of four changes; each run of four is sorted once (a five-step network) and the two
 * middle values of a pair of sorted runs are picked by min and max, the same values a sort of the
 * eight gives. The ends, with fewer neighbours, are sorted as they come.
 */
function usualChanges(d: Float64Array, m: number, lag: number, usual: Float64Array): void {
  const q = blocks;
  for (let j = 0; j + 3 < m; j++) {
    // Min and max rather than comparisons and swaps: noise gives a branch no pattern to predict.
    const a0 = Math.min(d[j], d[j + 1]);
    const b0 = Math.max(d[j], d[j + 1]);
    const c0 = Math.min(d[j + 2], d[j + 3]);
    const e0 = Math.max(d[j + 2], d[j + 3]);
    const b1 = Math.max(a0, c0);
    const c1 = Math.min(b0, e0);
    q[4 * j] = Math.min(a0, c0);
    q[4 * j + 1] = Math.min(b1, c1);
    q[4 * j + 2] = Math.max(b1, c1);
    q[4 * j + 3] = Math.max(b0, e0);
  }
  for (let i = 0; i < m; i++) {
    const left = i - 3 - lag;
    const right = i + lag;
    if (left >= 0 && right + 3 < m) {
      const A = 4 * left;
      const B = 4 * right;
      // The 4th and 5th smallest of two sorted runs a1..a4, b1..b4.
      const lower = Math.min(
        q[A + 3],
        q[B + 3],
        Math.max(q[A], q[B + 2]),
        Math.max(q[A + 1], q[B + 1]),
        Math.max(q[A + 2], q[B])
      );
      const upper = Math.max(
        q[A],
        q[B],
        Math.min(q[A + 3], q[B + 1]),
        Math.min(q[A + 2], q[B + 2]),
        Math.min(q[A + 1], q[B + 3])
      );
      usual[i] = (lower + upper) / 2;
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

/** breaks()'s scratch: the changes, their usual values, each run of four changes sorted, which indices follow a jump. */
let changes = new Float64Array(0);
let usuals = new Float64Array(0);
let blocks = new Float64Array(0);
let found = new Uint8Array(0);

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
