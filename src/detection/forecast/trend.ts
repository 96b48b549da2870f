/** Line fits, resets and crossings over bucketed history: the statistics the crossing forecaster is built from. */

/** z of the two-sided 90% normal interval. */
export const Z90 = 1.6448536269514722;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Shortest window a trend is fitted on. */
export const MIN_WINDOW_MS = 2 * HOUR_MS;
/** A jump this many robust spreads beyond the usual bucket-to-bucket change is a reset, not a trend. */
const BREAK_SPREADS = 8;

/**
 * Indices just after each reset, oldest first: a jump far beyond the changes around it, in spread
 * and in size (so a leak that starts, whose every step is larger than before, is no reset, nor is
 * the shorter step into a filling bucket on a noiseless rise). Jumps are looked for from one bucket
 * to the next and across two, as a shift inside a bucket is split between two changes.
 */
export function breaks(y: number[]): number[] {
  if (y.length < 6) {
    return [];
  }
  const found = new Set<number>();
  for (const lag of [1, 2]) {
    const d = y.slice(lag).map((v, i) => v - y[i]);
    // Each change against the median of its neighbours (four each side, not overlapping it), read
    // into the shared scratch: a forecaster asks this of its whole history at every bucket.
    const usual = d.map((_, i) => {
      let n = 0;
      for (let k = Math.max(0, i - 3 - lag); k < Math.max(0, i - lag + 1); k++) {
        n = put(d[k], n);
      }
      for (let k = i + lag; k < Math.min(d.length, i + lag + 4); k++) {
        n = put(d[k], n);
      }
      return medianOfScratch(n);
    });
    const dev = d.map((x, i) => x - usual[i]);
    const spread = 1.4826 * median(dev.map(Math.abs));
    const scale = Math.max(spread, 1e-9 * Math.max(...y.map(Math.abs)), 1e-12);
    for (let i = 0; i < d.length; i++) {
      if (Math.abs(dev[i]) > Math.max(BREAK_SPREADS * scale, Math.abs(usual[i]))) {
        found.add(i + lag);
      }
    }
  }
  // A jump seen from one bucket to the next and again across two is one reset, after its last bucket.
  const out = [...found].sort((a, b) => a - b);
  return out.filter((r, k) => out[k + 1] !== r + 1);
}

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
export function lineFit(t: number[], y: number[], from: number, now: number): LineFit | null {
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
  const resid: number[] = [];
  for (let i = from; i < y.length; i++) {
    resid.push(y[i] - (my + slope * (t[i] - mt)));
  }
  const residualVar = resid.reduce((a, r) => a + r * r, 0) / (n - 2);
  const inflation = autocorrelationInflation(resid);
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
  const rho = den > 0 ? Math.min(0.95, Math.max(0, num / den)) : 0;
  return (1 + rho) / (1 - rho);
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

export function median(xs: number[]): number {
  let n = 0;
  for (const x of xs) {
    n = put(x, n);
  }
  return medianOfScratch(n);
}

/** Where medians are sorted, shared (single-threaded; used within one call): no array a median. */
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
  if (n <= 16) {
    // Insertion sort: the neighbour windows hold at most 8.
    for (let i = 1; i < n; i++) {
      const x = s[i];
      let j = i - 1;
      while (j >= 0 && s[j] > x) {
        s[j + 1] = s[j];
        j--;
      }
      s[j + 1] = x;
    }
  } else {
    s.subarray(0, n).sort();
  }
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
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
  t: number[],
  y: number[],
  since: number,
  now: number,
  minWindowMs: number,
  significance: number
): LineFit | null {
  const startOf = (ms: number): number =>
    Math.max(
      since,
      t.findIndex((x) => x >= now - ms)
    );
  let fit = lineFit(t, y, startOf(minWindowMs), now);
  for (let w = 2 * minWindowMs; fit && startOf(w / 2) > since; w *= 2) {
    const longer = lineFit(t, y, startOf(w), now);
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
export function quadraticFit(t: number[], y: number[], from: number, now: number, daily = false): CurvatureFit | null {
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
