/**
 * A line plus a daily rhythm as a few Fourier terms, fitted by least squares (harmonic regression,
 * Hyndman & Athanasopoulos, "Forecasting: principles and practice", ch. 7.4 / 10.5). Every bucket
 * of the window informs both the level now and the rhythm's shape, so the level is far less noisy
 * than a line over the last hours, and the shape far less noisy than yesterday's buckets.
 * Assumes the trend is steady over the window (the caller uses it only then).
 */
import { autocorrelationInflation } from './trend';

export interface HarmonicFit {
  /** Fitted value at `ms`, and the standard error of one bucket mean there (fit plus noise). */
  at(ms: number): { mean: number; sd: number };
}

/**
 * Fits y on [1, t, cos and sin of 2 pi k t / periodMs for k = 1..harmonics] over indices
 * [from, end); null when the window is shorter than a period or too small for the terms.
 */
export function harmonicFit(
  t: ArrayLike<number>,
  y: ArrayLike<number>,
  from: number,
  periodMs: number,
  harmonics: number
): HarmonicFit | null {
  const n = y.length - from;
  const p = 2 + 2 * harmonics;
  if (from < 0 || n < p + 8 || t[t.length - 1] - t[from] < periodMs) {
    return null;
  }
  const origin = t[t.length - 1];
  const row = (ms: number): number[] => {
    const r = [1, (ms - origin) / periodMs];
    for (let k = 1; k <= harmonics; k++) {
      const a = (2 * Math.PI * k * ms) / periodMs;
      r.push(Math.cos(a), Math.sin(a));
    }
    return r;
  };
  const xtx = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const xty = new Array<number>(p).fill(0);
  const rows: number[][] = [];
  for (let i = from; i < y.length; i++) {
    const r = row(t[i]);
    rows.push(r);
    for (let a = 0; a < p; a++) {
      xty[a] += r[a] * y[i];
      for (let b = 0; b < p; b++) {
        xtx[a][b] += r[a] * r[b];
      }
    }
  }
  const inv = inverse(xtx);
  if (!inv) {
    return null;
  }
  const beta = inv.map((r) => r.reduce((acc, v, b) => acc + v * xty[b], 0));
  const dot = (a: number[], b: number[]): number => a.reduce((acc, v, i) => acc + v * b[i], 0);
  const resid = rows.map((r, i) => y[from + i] - dot(r, beta));
  const residualVar = resid.reduce((acc, e) => acc + e * e, 0) / (n - p);
  const inflation = autocorrelationInflation(resid);
  return {
    at(ms) {
      const r = row(ms);
      const leverage = dot(
        r,
        inv.map((c) => dot(c, r))
      );
      return { mean: dot(r, beta), sd: Math.sqrt(residualVar * (1 + inflation * leverage)) };
    },
  };
}

/** Inverse of a small symmetric positive definite matrix by Gauss-Jordan with pivoting; null if singular. */
function inverse(m: number[][]): number[][] | null {
  const p = m.length;
  const a = m.map((r, i) => [...r, ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) {
      if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) {
        pivot = r;
      }
    }
    if (!(Math.abs(a[pivot][c]) > 1e-12 * Math.abs(m[c][c] || 1))) {
      return null;
    }
    [a[c], a[pivot]] = [a[pivot], a[c]];
    const d = a[c][c];
    for (let j = 0; j < 2 * p; j++) {
      a[c][j] /= d;
    }
    for (let r = 0; r < p; r++) {
      if (r !== c && a[r][c] !== 0) {
        const f = a[r][c];
        for (let j = 0; j < 2 * p; j++) {
          a[r][j] -= f * a[c][j];
        }
      }
    }
  }
  return a.map((r) => r.slice(p));
}
