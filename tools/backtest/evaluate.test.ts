import { trueCrossings, truthSeries } from './evaluate';
import type { Scenario } from './scenarios';

const STEP = 300_000;

/** A rise of 0.01 per step from 0.5 with a spike of +0.1 on every fourth sample; level known unless `noLevel`. */
function rising(noLevel = false): Scenario {
  const n = 100;
  const timestamps = Float64Array.from({ length: n }, (_, i) => i * STEP);
  const level = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.01 * i);
  const values = level.map((v, i) => v + (i % 4 === 3 ? 0.1 : 0));
  return {
    scenario: 'test',
    series: 'one',
    timestamps,
    values,
    level: noLevel ? undefined : level,
    limit: 0.9,
    direction: 'above',
    neverCrosses: false,
  };
}

describe('the true crossing of the backtest', () => {
  it('reads the level by default: the noise-free path crosses 0.9 at step 40', () => {
    const [fromStart, fromStep39, atStep41] = trueCrossings(rising(), [0, 39 * STEP, 41 * STEP]);
    expect(fromStart).toBe((40 * STEP) / 1000);
    expect(fromStep39).toBe(STEP / 1000);
    expect(atStep41).toBe('beyond');
  });

  it('reads a 15-minute trailing mean of the samples with `samples`: spikes pull the crossing early', () => {
    // Spikes at steps 35 and 39: steps 35..37 average 0.893, steps 37..39 (0.87, 0.88, 0.99) 0.913.
    const [fromStart] = trueCrossings(rising(), [0], 'samples');
    expect(fromStart).toBe((39 * STEP) / 1000);
  });

  it('without a known level, reads a centred one-hour mean', () => {
    const s = rising(true);
    const smooth = truthSeries(s, 'level');
    // Centred at step 50 (13 samples, steps 44..56): the level's 1.0 plus 3 spikes of 0.1 over 13.
    expect(smooth[50]).toBeCloseTo(1.0 + 0.3 / 13, 9);
    // At the start only the half hour after counts (steps 0..6, spikes at 3).
    expect(smooth[0]).toBeCloseTo(0.53 + 0.1 / 7, 9);
    expect(trueCrossings(s, [0])[0]).toBeLessThan((40 * STEP) / 1000);
    expect(trueCrossings(s, [0])[0]).toBeGreaterThan((36 * STEP) / 1000);
  });
});
