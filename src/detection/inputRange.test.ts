import { ValueRange } from './inputRange';

describe('ValueRange', () => {
  const rescaling = { margin: 0, renormalise: true, rescale: true };

  it('with rescale remembers where what was learned is expressed until told it is re-expressed, and saves it', () => {
    const r = ValueRange.of(undefined, rescaling);
    [2, 5, 3].forEach((v) => r.see(v));
    r.settle();
    expect(r.moved).toBeUndefined();
    r.see(6);
    r.see(1);
    // Two moves since the last re-expression: one map from the range they started from.
    expect(r.moved).toEqual({ min: 2, max: 5 });
    expect([r.min, r.max]).toEqual([1, 6]);
    const restored = ValueRange.fromState(JSON.parse(JSON.stringify(r.toState())));
    expect(restored.moved).toEqual({ min: 2, max: 5 });
    restored.reexpressed();
    expect(restored.moved).toBeUndefined();
    expect(restored.toState()).not.toHaveProperty('movedFrom');
  });

  it('without rescale never records a move, and refuses a saved move it could not honour', () => {
    const r = ValueRange.of(undefined, { margin: 0, renormalise: true });
    [2, 5].forEach((v) => r.see(v));
    r.settle();
    r.see(9);
    expect(r.max).toBe(9);
    expect(r.moved).toBeUndefined();
    expect(() => ValueRange.fromState({ ...r.toState(), movedFrom: { min: 2, max: 5 } })).toThrow(
      /movedFrom is not a range of a rescaling estimate/
    );
  });
});
