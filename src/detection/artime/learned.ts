import { modelRegion } from '../shared/arrays';
import { DIM, FEATURE_WINDOW_WORDS, FeatureWindow, LEVELS, WINDOW } from './featureWindow';
import type { ArtBound } from './artBound';
import { RESONANCE_SCALARS, Resonance } from './resonance';
import type { ByteReader, ByteWriter } from '../shared/bytes';

/** After the probation: three of the feature window's, the resonance's, the category count. */
export const LEARNED_SCALARS = 3 + RESONANCE_SCALARS + 1;

/** What an ARTime detector scores with once its probation has been learned (nothing of it exists before). */
export interface Learned {
  window: FeatureWindow;
  resonance: Resonance;
}

/**
 * A learned part not yet filled, on one region of the models' slab (shared/arrays.ts): the feature
 * window keeps its words ahead of the resonance's in the ART's 16-bit words (one view for the three).
 */
export function newLearned(trendWindow: number, bound: ArtBound): Learned {
  const region = modelRegion(Resonance.bytes(trendWindow, bound, FEATURE_WINDOW_WORDS));
  const resonance = new Resonance(trendWindow, bound, region, FEATURE_WINDOW_WORDS);
  return { window: new FeatureWindow(resonance.art.words, resonance.art.wordsAt), resonance };
}

// Its saved form (ArtimeDetector.toState / fromState): what follows the detector's own scalars.

export function checkCategories(categories: number, bound: ArtBound): void {
  if (!(Number.isInteger(categories) && categories >= 0 && categories <= bound.capacity)) {
    throw new Error('Corrupt detector state: artime category count');
  }
}

/** The scoring part of a state: feature window, resonance and categories, in the order `readLearned` reads them. */
export function writeLearned(w: ByteWriter, { window: fw, resonance }: Learned): void {
  const a = resonance.art;
  w.nums([fw.medlevel, fw.belowmed, fw.abovemed, ...resonance.scalars(), a.categories])
    .nums(fw.medbin)
    .u8(fw.levels)
    .u16(resonance.simWindow)
    .u16(resonance.simDiffWindow);
  if (a.bounded) {
    w.u8(a.weightCodes);
  } else {
    w.f64(a.weights);
  }
}

export function readLearned(r: ByteReader, trendWindow: number, bound: ArtBound): Learned {
  const l = newLearned(trendWindow, bound);
  const sc = r.nums(LEARNED_SCALARS);
  const medbin = r.nums(LEVELS + 1);
  const values = r.u8(WINDOW);
  const sim = r.u16(l.resonance.simWindow.length);
  const simDiff = r.u16(l.resonance.simDiffWindow.length);
  const categories = sc[LEARNED_SCALARS - 1];
  checkCategories(categories, bound);
  restoreLearned(l, sc, medbin, values, sim, simDiff, readWeights(r, categories, bound));
  return l;
}

export function readWeights(r: ByteReader, categories: number, bound: ArtBound): Float64Array {
  // Complement-coded features: 2 x DIM weights per category.
  const n = categories * 2 * DIM;
  const weights = bound.levels > 0 ? Float64Array.from(r.u8(n), (k) => k / bound.levels) : r.f64(n);
  if (!weights.every((x) => x >= 0 && x <= 1)) {
    throw new Error('Corrupt detector state: artime weights outside [0, 1]');
  }
  return weights;
}

/** Sets a learned part from its stored pieces (`sc`: the feature window's three, the resonance's, the category count). */
export function restoreLearned(
  l: Learned,
  sc: Float64Array,
  medbin: Float64Array,
  values: Uint8Array,
  sim: Uint16Array,
  simDiff: Uint16Array,
  weights: Float64Array
): void {
  const fw = l.window;
  [fw.medlevel, fw.belowmed, fw.abovemed] = sc;
  if (!(Number.isInteger(fw.medlevel) && fw.medlevel >= 0 && fw.medlevel <= LEVELS)) {
    throw new Error('Corrupt detector state: artime median level');
  }
  if (!medbin.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
    throw new Error('Corrupt detector state: artime median histogram');
  }
  fw.restore(medbin, values);
  l.resonance.restoreScalars(sc.subarray(3, 3 + RESONANCE_SCALARS));
  l.resonance.simWindow.set(sim);
  l.resonance.simDiffWindow.set(simDiff);
  l.resonance.art.restore(weights, sc[3 + RESONANCE_SCALARS]);
}
