import { outcomesAt, probationLength, scaledSigmoid, ScoredFile, scoreCorpus } from './scorer';

const STANDARD = { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 };
const LOW_FN = { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 };

/** A file of n records at t = 0..n-1 ms with alarms (score 1) at the given indices. */
function file(n: number, alarms: number[], windows: Array<[number, number]>): ScoredFile {
  const scores = new Float64Array(n);
  alarms.forEach((i) => (scores[i] = 1));
  return { name: 'f', timestamps: Float64Array.from({ length: n }, (_, i) => i), scores, windows };
}

describe('NAB scorer', () => {
  it('has the probation length and sigmoid of NAB', () => {
    expect(probationLength(100)).toBe(15);
    expect(probationLength(10_000)).toBe(750);
    expect(scaledSigmoid(-1)).toBeCloseTo(2 / (1 + Math.exp(-5)) - 1, 12); // 0.98661
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it('rewards the earliest alarm in a window by the scaled sigmoid, ignoring later ones', () => {
    // 100 records, probation 15, one window of records 40..59 (width 20). Alarm at 45 and 50.
    // Position of 45: -(59 - 45 + 1) / 20 = -0.75; reward sigmoid(-0.75) / sigmoid(-1).
    const reward = scaledSigmoid(-0.75) / scaledSigmoid(-1); // 0.95404 / 0.98661 = 0.96699
    const [o] = outcomesAt([file(100, [45, 50], [[40, 59]])], STANDARD, 0.5);
    expect(o).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(o.raw).toBeCloseTo(reward, 12);
    expect(reward).toBeCloseTo(0.96699, 4);
  });

  it('charges false positives by their distance past the previous window', () => {
    // Window 40..59 (width 20). An alarm at 10 is in probation (free); at 30 (before any window)
    // costs the full -0.11; at 69 is (69 - 59) / 19 windows past: -0.11 * |sigmoid(10/19)|.
    const [o] = outcomesAt([file(100, [10, 30, 69], [[40, 59]])], STANDARD, 0.5);
    expect(o).toMatchObject({ tp: 0, fp: 2, fn: 1 });
    const expected = -0.11 + 0.11 * scaledSigmoid(10 / 19) - 1;
    expect(o.raw).toBeCloseTo(expected, 12);
    expect(scaledSigmoid(10 / 19)).toBeCloseTo(-0.86572, 4);
  });

  it('picks the best threshold over the corpus and normalises between null and perfect', () => {
    // Two files, one window each. File A: score 0.9 at the left edge of its window (reward 1).
    // File B: score 0.8 inside, 10 records before its right end of 20 wide: position -0.55, and
    // a 0.7 false positive before its window.
    const a = file(100, [], [[40, 59]]);
    (a.scores as Float64Array)[40] = 0.9;
    const b = file(100, [], [[40, 59]]);
    (b.scores as Float64Array)[49] = 0.8;
    (b.scores as Float64Array)[20] = 0.7;
    const r = scoreCorpus([a, b], STANDARD);
    const rewardB = scaledSigmoid(-(59 - 49 + 1) / 20) / scaledSigmoid(-1);
    // Threshold 0.8: 1 + rewardB; lowering to 0.7 adds -0.11. Null = -2, perfect = 2.
    expect(r.threshold).toBe(0.8);
    expect(r.raw).toBeCloseTo(1 + rewardB, 12);
    expect(r.nullRaw).toBe(-2);
    expect(r.perfectRaw).toBe(2);
    expect(r.score).toBeCloseTo((100 * (1 + rewardB + 2)) / 4, 10);
    // reward_low_FN_rate: null = -4, perfect = 2.
    const low = scoreCorpus([a, b], LOW_FN);
    expect(low.score).toBeCloseTo((100 * (1 + rewardB + 4)) / 6, 10);
  });

  it('scores a detector that never alarms 0 and a perfect one 100', () => {
    const windows: Array<[number, number]> = [[40, 59]];
    expect(scoreCorpus([file(100, [], windows)], STANDARD).score).toBe(0);
    expect(scoreCorpus([file(100, [40], windows)], STANDARD).score).toBeCloseTo(100, 10);
  });
});
