/**
 * One score scale for every detector: score = -log10(p) / SCORE_DECADES, clipped to [0, 1], where
 * p is the detector's estimate of how likely a value at least this unusual is under what it has
 * learned. A threshold on the score is then a threshold on a probability, the same on every
 * series (the idea of HTM's anomaly likelihood, Ahmad et al. 2017).
 */
export const SCORE_DECADES = 10;

/** Score in [0, 1] of a tail probability p. */
export function scoreOfProbability(p: number): number {
  if (!(p < 1)) {
    return 0;
  }
  return scoreOfLog10(Math.log10(Math.max(p, 1e-300)));
}

/** Score in [0, 1] of log10(p). */
export function scoreOfLog10(log10p: number): number {
  const s = -log10p / SCORE_DECADES;
  return s <= 0 ? 0 : s >= 1 ? 1 : s;
}

/** log10 of the two-sided normal tail P(|Z| >= |z|); accurate far into the tail. */
export function log10NormalTwoSided(z: number): number {
  const a = Math.abs(z) / Math.SQRT2;
  return Math.LOG10E * logErfc(a);
}

/** z such that the two-sided normal tail equals 10^log10p (inverse of the above, by bisection). */
export function zOfLog10TwoSided(log10p: number): number {
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (log10NormalTwoSided(mid) > log10p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

/** ln(erfc(x)) for x >= 0 (Numerical Recipes' erfcc, fractional error < 1.2e-7, kept in log space). */
function logErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) + poly;
}
