import { ARTIME_RANGE_SEEN } from './artime';
import { LEADERS_ARTIME_WEIGHT, PRODUCT_CATEGORIES } from './failureprophetLeaders';
import { createDetector, RECOMMENDED_THRESHOLD, type DetectorName } from './index';
import { Random } from './random';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);

/** Two weeks of 5-minute noisy daily rhythm, with an earlier anomaly (+8, about 3x the noise range) at `alarmAt`. */
function series(n = 4032, alarmAt = 2500): Float64Array {
  const rng = new Random(5);
  return Float64Array.from({ length: n }, (_, i) => {
    const noise = rng.next() + rng.next() + rng.next() - 1.5;
    return 20 + 5 * Math.sin((2 * Math.PI * i) / 288) + noise + (i >= alarmAt && i < alarmAt + 24 ? 8 : 0);
  });
}

/** Reported scores of a fresh failureprophet over v (NaN entries are missing samples). */
function scores(v: Float64Array, name: DetectorName = 'failureprophet'): Float64Array {
  const d = createDetector(name, { trainingPoints: 750 });
  return Float64Array.from(v, (x, i) => d.update(T0 + i * STEP, x));
}

const firstAlarm = (s: Float64Array, from: number): number => {
  for (let i = from; i < s.length; i++) {
    if (s[i] >= RECOMMENDED_THRESHOLD) {
      return i - from;
    }
  }
  return Infinity;
};

describe('failureprophet: one alarm per event, never hiding a new one', () => {
  const clean = series();
  const base = scores(clean);

  it('alarms on the earlier anomaly once and then keeps that event quiet', () => {
    // v9: ARTime's 5-sample down-sampled window completes after 5 samples (v6's level views: within 3).
    expect(firstAlarm(base, 2500)).toBeLessThan(6);
    const reported = Array.from(base.subarray(2500, 2500 + 288)).filter((x) => x >= RECOMMENDED_THRESHOLD);
    expect(reported.length).toBe(1);
  });

  // 1 h, 6 h and 20 h after the earlier alarm: inside its refractory period and its held memory.
  describe.each([12, 72, 240])('a fault %i samples after the earlier alarm', (after) => {
    const at = 2500 + after;
    const cases: Array<[string, (i: number, x: number) => number]> = [
      ['a jump to 10x the range', () => 20 + 10 * 40],
      ['a drop to zero', () => 0],
      ['a value stuck flat where it used to move', () => clean[at - 1]],
      ['a series that stops (NaN)', () => NaN],
    ];
    it.each(cases)('%s scores above the threshold within 5 samples', (_, fault) => {
      const v = Float64Array.from(clean, (x, i) => (i >= at ? fault(i, x) : x));
      expect(firstAlarm(scores(v), at)).toBeLessThan(5);
    });

    it('a single spike to 10x the range is reported at once', () => {
      const v = Float64Array.from(clean, (x, i) => (i === at ? 400 : x));
      expect(firstAlarm(scores(v), at)).toBe(0);
    });
  });

  it('the old detector (failureprophet-v1) hid the same jump 1 h after the earlier alarm', () => {
    const v = Float64Array.from(clean, (x, i) => (i >= 2512 ? 400 : x));
    expect(firstAlarm(scores(v, 'failureprophet-v1'), 2512)).toBeGreaterThan(100);
  });

  it('a series that repeats its value or misses samples as a habit does not alarm on it', () => {
    const rng = new Random(3);
    // A slow exporter: 40% of the steps repeat the last value (runs of 2-6 happen); every 50th sample missing.
    let last = 20;
    const v = Float64Array.from({ length: 4000 }, (_, i) => {
      if (rng.next() >= 0.4) {
        last = 20 + (rng.next() + rng.next() + rng.next() - 1.5);
      }
      return i % 50 === 0 ? NaN : last;
    });
    // failureprophet-v6: the level views (as in failureprophet-v1) may alarm on the noise's extremes; the run views add none.
    const alarms = (s: Float64Array): number[] =>
      Array.from(s.subarray(800), (x, i) => (x >= RECOMMENDED_THRESHOLD ? i : -1)).filter((i) => i >= 0);
    expect(alarms(scores(v, 'failureprophet-v6'))).toEqual(alarms(scores(v, 'failureprophet-v1')));
    // failureprophet (v9): its ARTime may; no fault call (run or range) adds any: the score is ARTime's, sample by sample.
    const artime = createDetector('artime-bounded', {
      trainingPoints: 750,
      maxCategories: PRODUCT_CATEGORIES,
      ...ARTIME_RANGE_SEEN,
    });
    const own = Array.from(v, (x, i) => Math.min(1, LEADERS_ARTIME_WEIGHT * artime.update(T0 + i * STEP, x)));
    expect(Array.from(scores(v))).toEqual(own);
  });

  it('a series flat from the start does not alarm for being flat', () => {
    const s = scores(new Float64Array(3000).fill(45));
    expect(Math.max(...s)).toBeLessThan(RECOMMENDED_THRESHOLD);
  });

  it('keeps its serialised state within 4 KiB per series, whatever it has seen', () => {
    const d = createDetector('failureprophet', { trainingPoints: 750 });
    const v = series(20_000);
    for (let i = 0; i < v.length; i++) {
      d.update(T0 + i * STEP, i % 997 === 0 ? NaN : v[i]);
    }
    expect(JSON.stringify(d.toState()).length).toBeLessThanOrEqual(4096);
  });
});
