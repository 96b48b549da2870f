import { deserialize, serialize } from 'node:v8';
import { numArray } from './detector';
import { createDetector, PRODUCT_DETECTOR_NAMES, RECOMMENDED_THRESHOLD, restoreDetector } from './index';

/** Series of legal but huge values (near the largest double, 1.8e308), one a minute. */
const MIN = 60_000;
const ordinary = (i: number): number => 50 + (i % 5);
const SERIES: Record<string, (i: number) => number> = {
  'one 1e308 sample': (i) => (i === 300 ? 1e308 : ordinary(i)),
  'one -1e308 sample': (i) => (i === 300 ? -1e308 : ordinary(i)),
  '1e308 and -1e308 alternating': (i) => (i > 250 && i < 700 ? (i % 2 ? 1e308 : -1e308) : ordinary(i)),
  '1e308 and -1e308 alternating from the first sample': (i) => (i % 2 ? 1e308 : -1e308),
  'a steady 1.7e308': () => 1.7e308,
  'a ramp to 1.2e308': (i) => i * 1e305,
};

describe.each(['zscore', 'ewma'] as const)('%s on values near the largest double', (name) => {
  it.each(Object.keys(SERIES))('%s: every score is in [0, 1], none NaN', (series) => {
    const d = createDetector(name);
    for (let i = 0; i < 1200; i++) {
      const s = d.update(i * MIN, SERIES[series](i));
      if (!(s >= 0 && s <= 1)) {
        throw new Error(`step ${i}: score ${s}`);
      }
    }
  });

  it('a steady 1.7e308 raises no alarm, and its band is around it', () => {
    const d = createDetector(name);
    for (let i = 0; i < 600; i++) {
      expect(d.update(i * MIN, 1.7e308)).toBeLessThan(RECOMMENDED_THRESHOLD);
    }
    expect(d.expected / 1.7e308).toBeCloseTo(1, 12);
    expect(d.lower).toBeLessThan(1.7e308);
    expect(d.upper).toBeGreaterThan(1.7e308);
    expect(d.upper).toBeLessThanOrEqual(Number.MAX_VALUE);
  });

  it('after a 1e308 sample, ordinary values raise no alarm, and a real step alarms again once the sample is learnt out', () => {
    const d = createDetector(name);
    // ewma's deviation decays by (1 - alpha) per step from the spike's (~3.4e153, see STEP_LIMIT): ~14,000 steps.
    const after = name === 'zscore' ? 400 : 16_000;
    for (let i = 0; i < 300 + after; i++) {
      const s = d.update(i * MIN, i === 300 ? 1e308 : ordinary(i));
      if (i === 300) {
        expect(s).toBe(1);
      } else if (i > 300 && !(s >= 0 && s < RECOMMENDED_THRESHOLD)) {
        throw new Error(`step ${i}: score ${s}`);
      }
    }
    expect(d.update((300 + after) * MIN, 5_000)).toBeGreaterThanOrEqual(RECOMMENDED_THRESHOLD);
  });

  it('a state saved with huge values in it restores (v8 and JSON) and scores on as the detector that ran on', () => {
    const value = SERIES['1e308 and -1e308 alternating'];
    const d = createDetector(name);
    for (let i = 0; i < 400; i++) {
      d.update(i * MIN, value(i));
    }
    const state = d.toState();
    const copies = [deserialize(serialize(state)), JSON.parse(JSON.stringify(state))].map((s) => restoreDetector(s));
    for (let i = 400; i < 1200; i++) {
      const s = d.update(i * MIN, value(i));
      for (const c of copies) {
        expect(c.update(i * MIN, value(i))).toBe(s);
      }
    }
  });
});

describe.each(PRODUCT_DETECTOR_NAMES)('%s band on values near the largest double', (name) => {
  it.each(Object.keys(SERIES))('%s: expected, lower and upper are never infinite', (series) => {
    const d = createDetector(name);
    for (let i = 0; i < 1200; i++) {
      d.update(i * MIN, SERIES[series](i));
      for (const x of [d.expected, d.lower, d.upper]) {
        // NaN: no band (yet).
        if (x === Infinity || x === -Infinity) {
          throw new Error(`step ${i}: expected ${d.expected}, lower ${d.lower}, upper ${d.upper}`);
        }
      }
    }
  });
});

describe('a corrupt state with a huge window', () => {
  it('is refused with the clear message, before a typed array of that length is made', () => {
    // 1e10 doubles are more than a typed array may hold: were it allocated first, a RangeError would come instead.
    for (const window of [1e10, 2e8, -1]) {
      expect(() => numArray({ ring: [1, 2] }, 'ring', window)).toThrow(
        `Corrupt detector state: field "ring" is not an array of ${window} numbers`
      );
      expect(() =>
        restoreDetector({ format: 'failureprophet.detector', name: 'zscore', version: 1, window, ring: [] })
      ).toThrow(`Corrupt detector state: field "ring" is not an array of ${window} numbers`);
    }
  });

  it('zscore refuses a window below 2 (its ring is never shorter)', () => {
    const state = { ...createDetector('zscore', { window: 2 }).toState(), window: 1, ring: [1] };
    expect(() => restoreDetector(state)).toThrow('Corrupt detector state: zscore window is below 2');
  });
});
