import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArtimeDetector } from './artime';
import { ARTIME_BOUNDED_WEIGHT, PRODUCT_CATEGORIES } from './failureprophet';
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
 * failureprophet-v1 (v4), failureprophet v6 (v5 with the bounded ARTime) with its ARTime's state of
 * version 4 (before its probation in time) and of version 5. A saved one resumes exactly as the
 * detector that never stopped; the same input gives the same state today where the format is current.
 */
describe.each([
  ['failureprophet-v5', 'failureprophet.state.json', true],
  ['failureprophet-v1', 'failureprophet-v1.state.json', true],
  ['failureprophet', 'failureprophet-v6.state.json', false],
  ['failureprophet', 'failureprophet-v6-artime5.state.json', true],
] as const)('a %s state saved before (%s)', (name, file, current) => {
  // The v5 fixture was saved under the product's name, as builds before v6 named it.
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

describe('a failureprophet v5 state saved before v6', () => {
  const saved = fixture('failureprophet.state.json');

  it('resumes as failureprophet: its v5 part exactly where it was, its ARTime learning afresh', () => {
    const v5 = createDetector('failureprophet-v5', { trainingPoints: 300 });
    for (let i = 0; i < 1000; i++) {
      v5.update(t[i], v[i]);
    }
    const r = restoreDetector(saved);
    expect(r.name).toBe('failureprophet');
    const artime = ArtimeDetector.bounded({ trainingPoints: 300, maxCategories: PRODUCT_CATEGORIES });
    let fromArtime = 0;
    for (let i = 1000; i < 2000; i++) {
      const own = v5.update(t[i], v[i]);
      const a = Math.min(1, ARTIME_BOUNDED_WEIGHT * artime.update(t[i], v[i]));
      expect(r.update(t[i], v[i])).toBe(Math.max(own, a));
      expect([r.lower, r.upper]).toEqual([v5.lower, v5.upper]);
      fromArtime += a > own ? 1 : 0;
    }
    // The fresh ARTime has learned its probation and scores by the end: both parts are checked.
    expect(fromArtime).toBeGreaterThan(0);
    expect((r.toState() as { version: number }).version).toBe(6);
  });

  it('refuses its options when corrupt, naming the option', () => {
    const corrupt = JSON.parse(JSON.stringify(saved));
    corrupt.options.buckets = 0;
    expect(() => restoreDetector(corrupt)).toThrow(/Corrupt detector state: failureprophet options: option "buckets"/);
  });
});
