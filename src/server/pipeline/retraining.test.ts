import { retrainedThreshold } from './retraining';

describe('retrainedThreshold', () => {
  it('keeps the base for one false positive, then raises it 0.05 for each more, up to 0.9', () => {
    expect([0, 1, 2, 3, 4].map((fp) => retrainedThreshold(0.24, fp))).toEqual(
      [0.24, 0.24, 0.29, 0.34, 0.39].map((t) => expect.closeTo(t, 12))
    );
    expect(retrainedThreshold(0.5, 100)).toBe(0.9);
  });
});
