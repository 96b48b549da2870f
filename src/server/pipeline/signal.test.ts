import { createProductDetector } from '../../detection';
import { SignalModel } from './signal';

describe('SignalModel (its last sample kept after its ring, in the same words)', () => {
  it('starts with no sample and score 0, and keeps each of its numbers apart from the others and from its ring', () => {
    const signals = [0, 1].map(
      () => new SignalModel({ name: 'cpu', kind: 'cpu' }, createProductDetector('failureprophet', 0.5), undefined, 8)
    );
    const [s, neighbour] = signals;
    const fields = ['value', 'expected', 'lower', 'upper', 'score', 'lastAt', 'missingAt'] as const;
    for (const f of fields) {
      expect(s[f]).toBe(f === 'score' ? 0 : NaN);
    }
    s.ring.fill(0x1234, 0, 8 * 7);
    const written = [1e300, -0, 5e-324, 0.1 + 0.2, Infinity, 1_767_225_600_000, -Infinity];
    fields.forEach((f, k) => {
      s[f] = written[k];
    });
    fields.forEach((f, k) => expect(Object.is(s[f], written[k])).toBe(true));
    expect(s.ring.subarray(0, 8 * 7).every((w) => w === 0x1234)).toBe(true);
    // The next signal's words (cut after them from the same slab) do not reach into them.
    neighbour.ring.fill(0xffff);
    neighbour.value = 7;
    fields.forEach((f, k) => expect(Object.is(s[f], written[k])).toBe(true));
  });
});
