import { DIM, FeatureWindow, WINDOW } from './featureWindow';
import { type ArtBound, UNBOUNDED } from './artBound';
import type { Learned } from './learned';
import { rescaleLearned } from './rangeSeen';
import { Resonance } from './resonance';

/** A learned part whose ART learns the given inputs (features: WINDOW shape values, then WINDOW values). */
function learnedOf(bound: ArtBound, vigilance: number, inputs: number[][]): Learned {
  const resonance = new Resonance(104, bound);
  const art = resonance.art;
  art.rhoUb = vigilance;
  art.rhoLb = vigilance;
  art.train(new Float64Array(DIM), true); // the uncommitted all-ones category
  inputs.forEach((x) => art.train(Float64Array.from(x), true));
  return { window: new FeatureWindow(), resonance };
}

/** An input whose shape features are all `shape` and whose values are all `value`. */
const input = (shape: number, value: number): number[] => [
  ...new Array<number>(WINDOW).fill(shape),
  ...new Array<number>(WINDOW).fill(value),
];

/** Category c's box over the first shape feature and the first value: [lo, hi] each. */
function boxOf(l: Learned, c: number): number[] {
  const w = l.resonance.art.weights.subarray(c * 2 * DIM, (c + 1) * 2 * DIM);
  return [w[0], 1 - w[DIM], w[WINDOW], 1 - w[WINDOW + DIM]];
}

describe('rescaleLearned', () => {
  it("moves each category's box over the values to the new scale, leaves the shape features and the empty category", () => {
    const l = learnedOf(UNBOUNDED, 0.01, [input(0.3, 0.4), input(0.5, 0.8)]);
    // The range [0, 10] becomes [-10, 10]: u' = u / 2 + 1/2; the box [0.4, 0.8] becomes [0.7, 0.9].
    rescaleLearned(l, { min: 0, max: 10 }, { min: -10, max: 10 });
    expect(l.resonance.art.categories).toBe(1);
    boxOf(l, 0).forEach((x, k) => expect(x).toBeCloseTo([0.3, 0.5, 0.7, 0.9][k], 12));
    const strict = learnedOf({ capacity: 4, levels: 4 }, 2, [input(0.25, 0.75)]);
    // On quarters, [0, 1] to [0, 2]: 0.75 goes to 0.375, a tie; the point stays a point (its two
    // edges would otherwise both round up, apart), and the all-ones category stays empty.
    rescaleLearned(strict, { min: 0, max: 1 }, { min: 0, max: 2 });
    expect(boxOf(strict, 0)).toEqual([1, 0, 1, 0]);
    expect(boxOf(strict, 1)).toEqual([0.25, 0.25, 0.5, 0.5]);
  });

  it('leaves a move of less than half a level for later, composed with the moves to come', () => {
    const l = learnedOf(UNBOUNDED, 0.01, [input(0.3, 0.4), input(0.5, 0.8)]);
    const before = Array.from(l.resonance.art.weights);
    // [0, 1000] to [0, 1005]: the top moves by 1/201 of the span, less than half of 1/80.
    expect(rescaleLearned(l, { min: 0, max: 1000 }, { min: 0, max: 1005 })).toBe(false);
    expect(Array.from(l.resonance.art.weights)).toEqual(before);
    // [0, 1000] to [0, 1010]: 1/101, more than half a level: [0.4, 0.8] becomes [0.396, 0.792].
    expect(rescaleLearned(l, { min: 0, max: 1000 }, { min: 0, max: 1010 })).toBe(true);
    boxOf(l, 0)
      .slice(2)
      .forEach((x, k) => expect(x).toBeCloseTo([400 / 1010, 800 / 1010][k], 12));
  });
});
