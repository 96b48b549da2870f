import { ARTIME_RANGE_SEEN, ArtimeDetector } from './artime';
import { ARTIME_WEIGHT, EnsembleDetector } from './ensemble';
import { PRODUCT_CATEGORIES } from './failureprophetLeaders';
import { ARTIME_BOUNDED_WEIGHT } from './failureprophetV6';
import { FailureProphetV5Detector } from './failureprophetV5';
import { createDetector, type DetectorName, RECOMMENDED_THRESHOLD, restoreDetector } from './index';
import { Random } from './random';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);

/** Two weeks of a noisy daily rhythm; from 3000 the rhythm's shape changes (a pattern never seen). */
function series(n = 4032): Float64Array {
  const rng = new Random(11);
  return Float64Array.from({ length: n }, (_, i) => {
    const phase = (i % 288) / 288;
    const shape = i >= 3000 ? 50 + 40 * Math.sin(2 * Math.PI * phase * 7) : phase < 0.5 ? 20 : 80;
    return shape + 2 * (rng.next() - 0.5);
  });
}

const run = (d: { update(t: number, v: number): number }, v: Float64Array): Float64Array =>
  Float64Array.from(v, (x, i) => d.update(T0 + i * STEP, x));

describe('failureprophet-ensemble', () => {
  const v = series();

  it('reports the larger of failureprophet-v5 and the weighted ARTime score, sample by sample', () => {
    const both = run(createDetector('failureprophet-ensemble', { trainingPoints: 750 }), v);
    const fp = run(new FailureProphetV5Detector({ trainingPoints: 750 }), v);
    const artime = run(new ArtimeDetector({ trainingPoints: 750 }), v);
    expect(Array.from(both)).toEqual(Array.from(fp, (x, i) => Math.max(x, Math.min(1, ARTIME_WEIGHT * artime[i]))));
    // Both members contribute somewhere on this series, so the test checks the combination.
    expect(both.some((x, i) => x > fp[i])).toBe(true);
    expect(both.some((x, i) => x === fp[i] && x >= RECOMMENDED_THRESHOLD)).toBe(true);
  });

  it.each(
    (['failureprophet-ensemble', 'failureprophet-v6'] as const).flatMap(
      (name): Array<[DetectorName, string, () => number]> => [
        [name, 'a jump to 10x the range', () => 800],
        [name, 'a drop to zero', () => 0],
        [name, 'a series that stops (NaN)', () => NaN],
      ]
    )
  )('%s: %s 1 h after an earlier alarm scores above the threshold within 5 samples', (name, _, fault) => {
    const clean = run(createDetector(name, { trainingPoints: 750 }), v);
    const first = clean.findIndex((x, i) => i >= 750 && x >= RECOMMENDED_THRESHOLD);
    expect(first).toBeGreaterThan(0);
    const at = first + 12;
    const s = run(
      createDetector(name, { trainingPoints: 750 }),
      Float64Array.from(v, (x, i) => (i >= at ? fault() : x))
    );
    expect(Math.max(...s.subarray(at, at + 5))).toBeGreaterThanOrEqual(RECOMMENDED_THRESHOLD);
  });

  it.each(['failureprophet-ensemble', 'failureprophet-v6'] as const)(
    '%s round-trips its state through JSON mid-probation and after, and continues identically',
    (name) => {
      for (const cut of [300, 3100]) {
        const a = createDetector(name, { trainingPoints: 750 });
        const b = createDetector(name, { trainingPoints: 750 });
        run(a, v.subarray(0, cut));
        run(b, v.subarray(0, cut));
        const c = restoreDetector(JSON.parse(JSON.stringify(b.toState())));
        for (let i = cut; i < v.length; i++) {
          expect(c.update(T0 + i * STEP, v[i])).toBe(a.update(T0 + i * STEP, v[i]));
          expect(c.level).toBe(a.level);
        }
        expect(c.name).toBe(name);
      }
    }
  );

  it('failureprophet-v6 reports the larger of failureprophet-v5 and the weighted bounded ARTime score', () => {
    const both = run(createDetector('failureprophet-v6', { trainingPoints: 750 }), v);
    const fp = run(new FailureProphetV5Detector({ trainingPoints: 750 }), v);
    const artime = run(ArtimeDetector.bounded({ trainingPoints: 750, maxCategories: PRODUCT_CATEGORIES }), v);
    expect(Array.from(both)).toEqual(
      Array.from(fp, (x, i) => Math.max(x, Math.min(1, ARTIME_BOUNDED_WEIGHT * artime[i])))
    );
    expect(both.some((x, i) => x > fp[i])).toBe(true);
  });

  it('failureprophet-v6 with artimeRescale: its ARTime follows the range seen (ARTIME_RANGE_SEEN), and resumes so', () => {
    const spiked = Float64Array.from(v);
    spiked.fill(300, 2000, 2014);
    const options = { trainingPoints: 750, artimeRescale: true };
    const both = run(createDetector('failureprophet-v6', options), spiked);
    const fp = run(new FailureProphetV5Detector({ trainingPoints: 750 }), spiked);
    const member = { trainingPoints: 750, maxCategories: PRODUCT_CATEGORIES, ...ARTIME_RANGE_SEEN };
    const artime = run(ArtimeDetector.bounded(member), spiked);
    expect(Array.from(both)).toEqual(
      Array.from(fp, (x, i) => Math.max(x, Math.min(1, ARTIME_BOUNDED_WEIGHT * artime[i])))
    );
    // Its state carries the member's range estimate: restored mid-run, it continues identically.
    const a = createDetector('failureprophet-v6', options);
    const cut = 2500;
    run(a, spiked.subarray(0, cut));
    const b = restoreDetector(JSON.parse(JSON.stringify(a.toState())));
    for (let i = cut; i < spiked.length; i++) {
      expect(b.update(T0 + i * STEP, spiked[i])).toBe(a.update(T0 + i * STEP, spiked[i]));
    }
  });

  it('refuses a state whose ARTime is of the other kind', () => {
    const bounded = createDetector('failureprophet-v6').toState();
    const unbounded = createDetector('failureprophet-ensemble').toState();
    expect(() => restoreDetector({ ...bounded, artime: unbounded.artime })).toThrow(
      /failureprophet-v6 holds an ARTime of the wrong kind \(artime\)/
    );
  });

  it('refuses a corrupt state or weight clearly', () => {
    const state = createDetector('failureprophet-ensemble').toState();
    expect(() => restoreDetector({ ...state, lastArtime: 2 })).toThrow(/lastArtime is not in \[0, 1\]/);
    expect(() => restoreDetector({ ...state, artime: { ...(state.artime as object), bytes: 'AAAA' } })).toThrow(
      /Corrupt detector state: field "bytes" is too short/
    );
    expect(() => EnsembleDetector.unbounded({ artimeWeight: -1 })).toThrow(/artimeWeight must be a finite number >= 0/);
  });
});
