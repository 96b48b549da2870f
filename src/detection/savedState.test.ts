import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDetector, restoreDetector } from './index';
import { synthetic } from './testSeries';

/**
 * States saved by the builds before the views were shared (fixtures/, written by failureprophet v5
 * and failureprophet-v1 v4 after the first 1,000 samples below): the same input gives the same
 * state today, and a saved one resumes exactly as the detector that never stopped.
 */
describe.each(['failureprophet', 'failureprophet-v1'] as const)('a %s state saved before', (name) => {
  const saved: unknown = JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.state.json`), 'utf8'));
  const { t, v } = synthetic('step', 2000, 1500);
  for (let i = 800; i < 806; i++) {
    v[i] = NaN;
  }

  it('is what this build saves after the same samples', () => {
    const d = createDetector(name, { trainingPoints: 300 });
    for (let i = 0; i < 1000; i++) {
      d.update(t[i], v[i]);
    }
    expect(JSON.parse(JSON.stringify(d.toState()))).toEqual(saved);
  });

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

  it('refuses its options when corrupt, naming the option', () => {
    const corrupt = JSON.parse(JSON.stringify(saved));
    corrupt.options.buckets = 0;
    expect(() => restoreDetector(corrupt)).toThrow(
      new RegExp(`Corrupt detector state: ${name} options: option "buckets"`)
    );
  });
});
