import { DIM, LEVELS, WINDOW } from './featureWindow';
import type { Learned } from './learned';

/**
 * ARTime's range without a hint as the values seen so far span it (no margin; each new extreme
 * moves it) with what was learned re-expressed at each move (rescaleLearned): the hint's range as
 * far as it can be known online (RESULTS.md, issue 12, det17).
 */
export const ARTIME_RANGE_SEEN = { rangeMargin: 0, rangeRenormalise: true, rangeRescale: true } as const;

interface Range {
  min: number;
  max: number;
}

/**
 * The range moved from `from` to `to`: what was learned is re-expressed in the new scale, where
 * a normalised value u becomes a u + b. The Haar features are min-max scaled within each window, so
 * unchanged by it; the window's values, its median histogram (FeatureWindow.rescale) and the
 * categories' boxes over the values move. A category is a box [lo, hi] per feature (weights lo and
 * 1 - hi: complement coding) and fast learning keeps the smallest box holding its inputs, so the
 * same inputs in the new scale have the box [a lo + b, a hi + b]. Bounded, each edge goes to the
 * nearest grid point (outwards would grow every box by a step at each move: a series making a new
 * extreme at every step would inflate them all). An empty box (lo > hi: the uncommitted all-ones
 * category) stays empty. False, and nothing done, when the move is too small to move a level.
 */
export function rescaleLearned(learned: Learned, from: Range, to: Range): boolean {
  const span = to.max - to.min;
  const a = (from.max - from.min) / span;
  const b = (from.min - to.min) / span;
  // How far the map moves a point of [0, 1] at most (at 0 or at 1). Less than half a level moves no
  // level: it waits, composed with the moves to come, so slow growth is not lost to rounding.
  if (Math.max(Math.abs(b), Math.abs(a - 1 + b)) < 0.5 / LEVELS) {
    return false;
  }
  learned.window.rescale(a, b);
  const art = learned.resonance.art;
  const w = art.weights;
  const q = art.bound.levels;
  for (let o = 0; o < w.length; o += 2 * DIM) {
    for (let k = o + WINDOW; k < o + DIM; k++) {
      const high = 1 - w[k + DIM];
      if (w[k] > high) {
        continue;
      }
      const lo = a * w[k] + b;
      const hiComplement = 1 - (a * high + b);
      if (q > 0) {
        // A box of one point stays one: both edges of a tie would otherwise round apart (lo > hi).
        const loCode = Math.round(lo * q);
        w[k] = loCode / q;
        w[k + DIM] = Math.min(Math.round(hiComplement * q), q - loCode) / q;
      } else {
        w[k] = lo;
        w[k + DIM] = hiComplement;
      }
    }
  }
  art.restore(w, art.categories);
  return true;
}
