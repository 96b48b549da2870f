import type { RangeEstimate } from '../inputRange';
import type { ArtBound } from './artBound';

/** A bounded ART's weights are multiples of 1 / WEIGHT_LEVELS, held as bytes. */
const WEIGHT_LEVELS = 255;

/**
 * Settings objects equal ones share (never changed once made): one in each detector of a fleet was an
 * object and a boxed number (~0.1 kB a detector, for its bound and its range estimate alike).
 */
const bounds = new Map<number, ArtBound>();
const estimates = new Map<string, RangeEstimate>();

export function boundOf(capacity: number): ArtBound {
  let bound = bounds.get(capacity);
  if (bound === undefined) {
    bound = Object.freeze({ capacity, levels: WEIGHT_LEVELS });
    bounds.set(capacity, bound);
  }
  return bound;
}

export function sharedEstimate(estimate: RangeEstimate): RangeEstimate {
  const key = `${estimate.margin} ${estimate.renormalise} ${estimate.rescale}`;
  const found = estimates.get(key);
  if (found !== undefined) {
    return found;
  }
  estimates.set(key, Object.freeze(estimate));
  return estimate;
}
