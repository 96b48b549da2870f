// The window arithmetic of ARTime's features and similarity: pure functions over typed arrays.

let haarScratch = new Float64Array(0);
/** One reused buffer (the detector is single-threaded), grown to the largest window seen. */
function scratch(n: number): Float64Array {
  if (haarScratch.length < n) {
    haarScratch = new Float64Array(n);
  }
  return haarScratch;
}

/** Close to cosine similarity, as ARTime's (a zero vector's similarity is 1 - |other|). */
export function cosineLike(a: Float64Array, b: Float64Array): number {
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let k = 0; k < a.length; k++) {
    na += a[k] * a[k];
    nb += b[k] * b[k];
    dot += a[k] * b[k];
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  if (na === 0) {
    return 1 - nb;
  }
  return nb === 0 ? 1 - na : dot / (na * nb);
}

/**
 * Full orthonormal Haar transform of a power-of-two length, into `out` (which may be `x`):
 * [approximation, coarsest detail, ..., finest details].
 */
export function haar(x: Float64Array, out: Float64Array): Float64Array {
  out.set(x);
  const tmp = scratch(x.length);
  for (let len = x.length; len > 1; len >>= 1) {
    const half = len >> 1;
    for (let k = 0; k < half; k++) {
      tmp[k] = (out[2 * k] + out[2 * k + 1]) / Math.SQRT2;
      tmp[half + k] = (out[2 * k] - out[2 * k + 1]) / Math.SQRT2;
    }
    for (let k = 0; k < len; k++) {
      out[k] = tmp[k];
    }
  }
  return out;
}

/** x - min(x), divided by its maximum when that is not 0, into `out` (which may be `x`). */
export function minMaxScaled(x: Float64Array, out: Float64Array): Float64Array {
  let min = Infinity;
  for (let k = 0; k < x.length; k++) {
    min = Math.min(min, x[k]);
  }
  let max = -Infinity;
  for (let k = 0; k < x.length; k++) {
    out[k] = x[k] - min;
    max = Math.max(max, out[k]);
  }
  if (max !== 0) {
    for (let k = 0; k < x.length; k++) {
      out[k] /= max;
    }
  }
  return out;
}

/** Drops the oldest entry of a[from, to) and appends v. */
export function shift(a: Uint16Array, from: number, to: number, v: number): void {
  a.copyWithin(from, from + 1, to);
  a[to - 1] = v;
}

/** Julia's round(Int, x): nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
