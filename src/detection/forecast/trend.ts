/** Line fits and crossings over bucketed history: the statistics the crossing forecaster is built from (its resets: resets.ts). */

/** z of the two-sided 90% normal interval. */
export const Z90 = 1.6448536269514722;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Shortest window a trend is fitted on. */
export const MIN_WINDOW_MS = 2 * HOUR_MS;

export interface LineFit {
  /** Fitted value at `now`. */
  level: number;
  /** Per ms. */
  slope: number;
  slopeErr: number;
  levelVar: number;
  residualVar: number;
}

/** Least squares of y on t over indices [from, end), evaluated at `now`; errors widened for autocorrelation. */
export function lineFit(t: ArrayLike<number>, y: ArrayLike<number>, from: number, now: number): LineFit | null {
  const n = y.length - from;
  if (from < 0 || n < 4) {
    return null;
  }
  let st = 0;
  let sy = 0;
  for (let i = from; i < y.length; i++) {
    st += t[i];
    sy += y[i];
  }
  const mt = st / n;
  const my = sy / n;
  let stt = 0;
  let sty = 0;
  for (let i = from; i < y.length; i++) {
    stt += (t[i] - mt) ** 2;
    sty += (t[i] - mt) * (y[i] - my);
  }
  if (!(stt > 0)) {
    return null;
  }
  const slope = sty / stt;
  // The residuals' squares and lag-1 products in one pass, kept in no array: lines are fitted many times a step.
  let squares = 0;
  let products = 0;
  let prev = 0;
  for (let i = from; i < y.length; i++) {
    const r = y[i] - (my + slope * (t[i] - mt));
    squares += r * r;
    if (i > from) {
      products += r * prev;
    }
    prev = r;
  }
  const residualVar = squares / (n - 2);
  const inflation = inflationOf(products, squares);
  return {
    level: my + slope * (now - mt),
    slope,
    slopeErr: Math.sqrt((residualVar * inflation) / stt),
    levelVar: residualVar * inflation * (1 / n + (now - mt) ** 2 / stt),
    residualVar,
  };
}

/** Variance factor (1+rho)/(1-rho) of the mean of an AR(1) series with lag-1 autocorrelation rho. */
export function autocorrelationInflation(resid: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < resid.length; i++) {
    den += resid[i] * resid[i];
    if (i > 0) {
      num += resid[i] * resid[i - 1];
    }
  }
  return inflationOf(num, den);
}

/** The factor from the residuals' sum of lag-1 products (num) and of squares (den). */
export function inflationOf(num: number, den: number): number {
  const rho = den > 0 ? Math.min(0.95, Math.max(0, num / den)) : 0;
  return (1 + rho) / (1 - rho);
}

/** The index of the first time at or after `ms` (times ascending), -1 when none is. */
export function firstAtOrAfter(t: ArrayLike<number>, ms: number): number {
  for (let i = 0; i < t.length; i++) {
    if (t[i] >= ms) {
      return i;
    }
  }
  return -1;
}

/** Where a window of the times from `ms` on starts, not before index `since` (the last reset). */
export function windowStart(t: ArrayLike<number>, since: number, ms: number): number {
  return Math.max(since, firstAtOrAfter(t, ms));
}

/** First h in (0, maxMs] where `crossed(h)` holds, to a 1/16 of `stepMs`; Infinity if none. */
export function firstCrossing(crossed: (h: number) => boolean, maxMs: number, stepMs: number): number {
  let prev = 0;
  for (let h = stepMs / 4; h <= maxMs + stepMs / 4; h += stepMs / 4) {
    const at = Math.min(h, maxMs);
    if (crossed(at)) {
      let lo = prev;
      let hi = at;
      while (hi - lo > stepMs / 64) {
        const mid = (lo + hi) / 2;
        if (crossed(mid)) {
          hi = mid;
        } else {
          lo = mid;
        }
      }
      return hi;
    }
    prev = at;
  }
  return Infinity;
}

/** Quantile of the standard normal (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    return (
      (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
      ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
    );
  }
  if (q > 1 - 0.02425) {
    return -normalQuantile(1 - q);
  }
  const r = q - 0.5;
  const s = r * r;
  return (
    ((((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r) /
    (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1)
  );
}

/**
 * The trend as a line over the longest window back (doubling from `minWindowMs`, not before index
 * `since`, the last reset) whose slope agrees with the next shorter one's, so a leak that started
 * or sped up lately is followed; null when its slope is not `significance` standard errors above 0.
 */
export function significantLine(
  t: ArrayLike<number>,
  y: ArrayLike<number>,
  since: number,
  now: number,
  minWindowMs: number,
  significance: number
): LineFit | null {
  let fit = lineFit(t, y, windowStart(t, since, now - minWindowMs), now);
  for (let w = 2 * minWindowMs; fit && windowStart(t, since, now - w / 2) > since; w *= 2) {
    const longer = lineFit(t, y, windowStart(t, since, now - w), now);
    if (!longer || Math.abs(longer.slope - fit.slope) > 2 * Math.hypot(longer.slopeErr, fit.slopeErr)) {
      break;
    }
    fit = longer;
  }
  return fit && fit.slope > significance * fit.slopeErr ? fit : null;
}

export interface CurvatureFit {
  /** The fitted value `h` ms after `now`. */
  at: (h: number) => number;
  /** Half the second derivative, per ms², and its standard error (widened for autocorrelation). */
  curvature: number;
  curvatureErr: number;
}

/**
 * Least squares of y on a quadratic in t (plus one daily harmonic when `daily`) over indices
 * [from, end), centred on `now`: how much the series bends (an accelerating leak), which a line's
 * errors do not show until the bend has passed; the harmonic keeps a daily rhythm from passing for
 * a bend over a day or so. Null with too few points or a degenerate design.
 */
export function quadraticFit(
  t: ArrayLike<number>,
  y: ArrayLike<number>,
  from: number,
  now: number,
  daily = false
): CurvatureFit | null {
  const k = daily ? 5 : 3;
  const n = y.length - from;
  if (from < 0 || n < 2 * k) {
    return null;
  }
  // Time in days from `now` keeps the normal equations well conditioned.
  const row = (d: number): number[] =>
    daily ? [1, d, d * d, Math.sin(2 * Math.PI * d), Math.cos(2 * Math.PI * d)] : [1, d, d * d];
  const xtx = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const xty = new Array<number>(k).fill(0);
  for (let i = from; i < y.length; i++) {
    const r = row((t[i] - now) / DAY_MS);
    for (let a = 0; a < k; a++) {
      xty[a] += r[a] * y[i];
      for (let b = 0; b < k; b++) {
        xtx[a][b] += r[a] * r[b];
      }
    }
  }
  const inv = inverse(xtx);
  if (!inv) {
    return null;
  }
  const coef = inv.map((r) => r.reduce((acc, v, b) => acc + v * xty[b], 0));
  const value = (d: number): number => row(d).reduce((acc, v, a) => acc + v * coef[a], 0);
  const resid: number[] = [];
  for (let i = from; i < y.length; i++) {
    resid.push(y[i] - value((t[i] - now) / DAY_MS));
  }
  const residualVar = resid.reduce((acc, e) => acc + e * e, 0) / (n - k);
  const cVar = residualVar * autocorrelationInflation(resid) * inv[2][2];
  return {
    at: (h) => value(h / DAY_MS),
    curvature: coef[2] / (DAY_MS * DAY_MS),
    curvatureErr: Math.sqrt(Math.max(0, cVar)) / (DAY_MS * DAY_MS),
  };
}

/** Inverse of a small symmetric positive matrix by Gauss-Jordan elimination with pivoting; null when singular. */
function inverse(m: number[][]): number[][] | null {
  const k = m.length;
  const a = m.map((r, i) => [...r, ...r.map((_, j) => (i === j ? 1 : 0))]);
  const scale = Math.max(...m.map((r, i) => Math.abs(r[i])));
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) {
      if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
        p = r;
      }
    }
    if (!(Math.abs(a[p][c]) > 1e-12 * scale)) {
      return null;
    }
    [a[c], a[p]] = [a[p], a[c]];
    const pivot = a[c][c];
    a[c] = a[c].map((v) => v / pivot);
    for (let r = 0; r < k; r++) {
      if (r !== c && a[r][c] !== 0) {
        const f = a[r][c];
        a[r] = a[r].map((v, j) => v - f * a[c][j]);
      }
    }
  }
  return a.map((r) => r.slice(k));
}
