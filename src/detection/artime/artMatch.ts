/**
 * The arithmetic of a fuzzy ART's categories (fuzzyArt.ts): a category's match for an input, and
 * fast learning. Its inner loops, over doubles (unbounded weights) or byte codes (bounded ones).
 */

/**
 * The similarity over the newest value and its complement only: |x ^ w| / |w| of the input's (x, xc)
 * and the category's (w, wc). 0/0 (a category that learned both extremes of the newest value) counts
 * as no similarity.
 */
export function energyOf(x: number, xc: number, w: number, wc: number): number {
  const den = w + wc;
  return den === 0 ? 0 : (Math.min(x, w) + Math.min(xc, wc)) / den;
}

/** Unbounded: |x ^ w| of the category's weights from `o`. */
export function interOfReals(x: Float64Array, w: Float64Array, o: number, n: number): number {
  let inter = 0;
  for (let k = 0; k < n; k++) {
    const wk = w[o + k];
    inter += x[k] < wk ? x[k] : wk;
  }
  return inter;
}

/**
 * Bounded: the match of the category whose codes start at `o`, for the input as doubles (`x`). Its |w|
 * is summed here with |x ^ w| rather than kept per category (a table and a view in each of a fleet's
 * 100,000 detectors, issue 16), both in the order of the weights, unrolled by four (n, twice an even
 * dim, is a multiple of four): the doubles' sums, bit for bit.
 */
export function matchOfCodes(
  x: Float64Array,
  w: Uint8Array,
  value: Float64Array,
  o: number,
  n: number,
  energy: number
): number {
  let inter = 0;
  let norm = 0;
  for (let k = 0; k < n; k += 4) {
    const a0 = x[k];
    const b0 = value[w[o + k]];
    const a1 = x[k + 1];
    const b1 = value[w[o + k + 1]];
    const a2 = x[k + 2];
    const b2 = value[w[o + k + 2]];
    const a3 = x[k + 3];
    const b3 = value[w[o + k + 3]];
    inter += a0 < b0 ? a0 : b0;
    inter += a1 < b1 ? a1 : b1;
    inter += a2 < b2 ? a2 : b2;
    inter += a3 < b3 ? a3 : b3;
    norm += b0;
    norm += b1;
    norm += b2;
    norm += b3;
  }
  return matchOf(inter, norm, energy);
}

/** A category's match: its similarity |x ^ w| / |w| cubed times its energy squared (0/0 norm counts as 0.001). */
export function matchOf(inter: number, norm: number, energy: number): number {
  const similarity = inter / (norm === 0 ? 0.001 : norm);
  return similarity * similarity * similarity * energy * energy;
}

/** Fast learning: the category's weights from `o` shrink to x ^ w; whether any moved. */
export function shrinkTo(x: ArrayLike<number>, w: Float64Array | Uint8Array, o: number, n: number): boolean {
  let changed = false;
  for (let k = 0; k < n; k++) {
    if (x[k] < w[o + k]) {
      w[o + k] = x[k];
      changed = true;
    }
  }
  return changed;
}
