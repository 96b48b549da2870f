import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIME_RANGE_SEEN, ArtimeDetector } from './artime';
import { LEADERS_ARTIME_WEIGHT, PRODUCT_CATEGORIES } from './failureprophetLeaders';
import { createDetector, restoreDetector } from './index';
import { synthetic } from './testSeries';

const { t, v } = synthetic('step', 2000, 1500);
for (let i = 800; i < 806; i++) {
  v[i] = NaN;
}
const fixture = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', file), 'utf8')) as Record<string, unknown>;

/**
 * States saved by earlier builds (fixtures/, each after the first 1,000 samples below):
 * failureprophet v5 (the product's detector before it was joined by ARTime, now failureprophet-v5),
 * failureprophet-v1 (v4), failureprophet v6 (v5 with the bounded ARTime, the product until stop 29, now
 * failureprophet-v6) with its ARTime's state of version 4 (before its probation in time) and of version 5. A saved one resumes exactly as the
 * detector that never stopped; the same input gives the same state today where the format is current.
 */
describe.each([
  ['failureprophet-v5', 'failureprophet.state.json', true],
  ['failureprophet-v1', 'failureprophet-v1.state.json', true],
  ['failureprophet-v6', 'failureprophet-v6.state.json', false],
  ['failureprophet-v6', 'failureprophet-v6-artime5.state.json', true],
] as const)('a %s state saved before (%s)', (name, file, current) => {
  // The v5 and v6 fixtures were saved under the product's name, as the builds of their time named it.
  const saved = { ...fixture(file), name };

  if (current) {
    it('is what this build saves after the same samples', () => {
      const d = createDetector(name, { trainingPoints: 300 });
      for (let i = 0; i < 1000; i++) {
        d.update(t[i], v[i]);
      }
      expect(JSON.parse(JSON.stringify(d.toState()))).toEqual(saved);
    });
  }

  it('loads and scores the rest as the detector that ran on', () => {
    const d = createDetector(name, { trainingPoints: 300 });
    for (let i = 0; i < 1000; i++) {
      d.update(t[i], v[i]);
    }
    const r = restoreDetector(saved);
    let alarms = 0;
    for (let i = 1000; i < 2000; i++) {
      const score = d.update(t[i], v[i]);
      expect(r.update(t[i], v[i])).toBe(score);
      expect([r.level, r.lower, r.upper]).toEqual([d.level, d.lower, d.upper]);
      alarms += score >= 0.24 ? 1 : 0;
    }
    expect(alarms).toBeGreaterThan(0);
  });
});

describe.each([
  ['v5', 'failureprophet.state.json'],
  ['v6', 'failureprophet-v6-artime5.state.json'],
] as const)('a failureprophet %s state saved before v9', (_, file) => {
  const saved = fixture(file);

  it('resumes as failureprophet v9: its v5 part (band, run views) exactly where it was, its ARTime learning afresh', () => {
    const v5 = createDetector('failureprophet-v5', { trainingPoints: 300 });
    for (let i = 0; i < 1000; i++) {
      v5.update(t[i], v[i]);
    }
    const r = restoreDetector(saved);
    expect(r.name).toBe('failureprophet');
    const artime = ArtimeDetector.bounded({
      trainingPoints: 300,
      maxCategories: PRODUCT_CATEGORIES,
      ...ARTIME_RANGE_SEEN,
    });
    let fromArtime = 0;
    const called: number[] = [];
    for (let i = 1000; i < 2000; i++) {
      v5.update(t[i], v[i]);
      const a = Math.min(1, LEADERS_ARTIME_WEIGHT * artime.update(t[i], v[i]));
      const score = r.update(t[i], v[i]);
      // The fresh ARTime's score, or a fault call (1) once the range view has learned with it.
      if (score !== a) {
        expect(score).toBe(1);
        called.push(i);
      }
      expect([r.learning, r.lower, r.upper]).toEqual([v5.learning, v5.lower, v5.upper]);
      fromArtime += a > 0 ? 1 : 0;
    }
    // The fresh ARTime has learned its probation and scores by the end; the step at 1,500 is called.
    expect(fromArtime).toBeGreaterThan(0);
    expect(called.length).toBeGreaterThan(0);
    expect(called.every((i) => i >= 1500)).toBe(true);
    expect((r.toState() as { version: number }).version).toBe(9);
  });

  it('calls no range fault while its range view, started empty, learns with the fresh ARTime; then calls one', () => {
    let r = restoreDetector(saved);
    // Each value further out than the last: an empty range view would call every one.
    const widening = (i: number) => 50 + (i % 2 === 0 ? 1 : -1) * (i - 1000) * 0.01;
    for (let i = 1000; i < 1300; i++) {
      expect(r.update(t[i], widening(i))).toBe(0);
      if (i === 1150) {
        // Quiet through a save, mid-probation.
        const mid = JSON.parse(JSON.stringify(r.toState())) as { rangeQuiet?: boolean };
        expect(mid.rangeQuiet).toBe(true);
        r = restoreDetector(mid);
      }
    }
    expect(r.update(t[1300], 5000)).toBe(1);
    expect((JSON.parse(JSON.stringify(r.toState())) as { rangeQuiet?: boolean }).rangeQuiet).toBeUndefined();
  });

  it('refuses its options when corrupt, naming the option', () => {
    const corrupt = JSON.parse(JSON.stringify(saved)) as Record<string, { buckets?: number; failureprophet?: unknown }>;
    if (corrupt.options) {
      corrupt.options.buckets = 0;
      expect(() => restoreDetector(corrupt)).toThrow(
        /Corrupt detector state: failureprophet options: option "buckets"/
      );
    } else {
      expect(() => restoreDetector({ ...corrupt, failureprophet: 'x' })).toThrow(/Corrupt detector state/);
    }
  });
});
