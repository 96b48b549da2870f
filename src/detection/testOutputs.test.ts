import { outputDigest } from './testOutputs';

/**
 * Every output of the product's detector and the two kept for comparison, bit for bit, as the
 * build before issue 12's speed work (8b8a537) gave them: a change for speed must not move one
 * score, band, level or saved state. The Math functions these detectors and series use (exp,
 * expm1, log, log10, sin) are V8's port of fdlibm, the same on every platform and unchanged since
 * Node 8 (Math.pow, which changed in Node 12, is not used), as the saved-state fixtures
 * (savedState.test.ts) already rely on. A deliberate change
 * of behaviour updates these digests in the same commit and says why.
 */
describe.each([
  ['failureprophet', '147f756b59c2d6006c17f2d451c290ad85550701150f4158a840f4d54d6a6c3f'],
  ['failureprophet-v5', '4661e76b68f011106cb8501d59b036641c27ef2cd016d84179670646cbdf7c2a'],
  ['failureprophet-v1', '25880b8814c49c319ad1f9b1c6b87b968f3af77bcd59c2aa0c50b654b1231b7a'],
] as const)('%s', (name, digest) => {
  it('outputs exactly what it did before (scores, levels, bands, learning, states, a restore)', () => {
    expect(outputDigest(name)).toBe(digest);
  });
});
