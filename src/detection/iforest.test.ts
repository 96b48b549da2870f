import { averagePathLength, IsolationForest, quantile } from './iforest';
import { Random } from './random';

/** A Gaussian-ish cluster around the origin plus `outliers` far points appended at the end. */
function cluster(rows: number, cols: number, outliers: number, seed = 1): Float64Array {
  const rng = new Random(seed);
  const x = new Float64Array((rows + outliers) * cols);
  for (let i = 0; i < rows * cols; i++) {
    x[i] = rng.next() + rng.next() + rng.next() - 1.5;
  }
  for (let i = rows * cols; i < x.length; i++) {
    x[i] = 6 + rng.next();
  }
  return x;
}

describe('IsolationForest', () => {
  it('uses c(n) of Liu et al.: c(2) = 1, c(256) ~ 10.24', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(2 * (Math.log(255) + 0.5772156649) - (2 * 255) / 256, 10);
  });

  it('defaults to 100 trees of 256 samples and is reproducible with a seed', () => {
    const x = cluster(2000, 3, 0);
    const a = IsolationForest.fit(x, 2000, 3, { seed: 5 });
    const b = IsolationForest.fit(x, 2000, 3, { seed: 5 });
    const c = IsolationForest.fit(x, 2000, 3, { seed: 6 });
    expect(a.treeCount).toBe(100);
    expect(a.sampleSize).toBe(256);
    expect(a.score(x, 2000)).toEqual(b.score(x, 2000));
    expect(a.score(x, 2000)).not.toEqual(c.score(x, 2000));
  });

  it('scores the far cluster higher than every normal row, in (0, 1]', () => {
    const x = cluster(1000, 5, 10);
    const forest = IsolationForest.fit(x, 1010, 5);
    const s = forest.score(x, 1010);
    const normalMax = Math.max(...s.subarray(0, 1000));
    for (let i = 1000; i < 1010; i++) {
      expect(s[i]).toBeGreaterThan(normalMax);
    }
    for (const v of s) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('predicts with the contamination threshold: about 1% of training rows flagged, the outliers among them', () => {
    const x = cluster(2000, 2, 5);
    const forest = IsolationForest.fit(x, 2005, 2, { contamination: 0.01 });
    const flags = forest.predict(x, 2005);
    const flagged = flags.reduce((a, b) => a + b, 0);
    expect(flagged).toBeGreaterThanOrEqual(15);
    expect(flagged).toBeLessThanOrEqual(25);
    expect(Array.from(flags.subarray(2000))).toEqual([1, 1, 1, 1, 1]);
    expect(forest.threshold).toBeCloseTo(quantile(forest.score(x, 2005), 0.99), 12);
  });

  it('round-trips through JSON with identical scores', () => {
    const x = cluster(500, 4, 3);
    const forest = IsolationForest.fit(x, 503, 4);
    const restored = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest.toJSON())));
    expect(restored.score(x, 503)).toEqual(forest.score(x, 503));
    expect(restored.threshold).toBe(forest.threshold);
  });

  it('refuses corrupt or incompatible documents with a clear error', () => {
    const doc = IsolationForest.fit(cluster(300, 2, 0), 300, 2).toJSON();
    expect(() => IsolationForest.fromJSON('nonsense')).toThrow(/expected a JSON object/);
    expect(() => IsolationForest.fromJSON({ ...doc, format: 'sklearn' })).toThrow(/format/);
    expect(() => IsolationForest.fromJSON({ ...doc, version: 2 })).toThrow(/version 2 is not supported/);
    const tampered = { ...doc, split: doc.split.map((v, i) => (i === 3 ? v + 1 : v)) };
    expect(() => IsolationForest.fromJSON(tampered)).toThrow(/checksum/);
    expect(() => IsolationForest.fromJSON({ ...doc, child: doc.child.slice(1) })).toThrow(/different lengths/);
    expect(() => IsolationForest.fromJSON({ ...doc, feature: doc.feature.map(() => 'x') })).toThrow(
      /feature must be an array/
    );
  });

  it('batch scoring (complete-tree tables, or the linked table for deep forests) matches row-by-row scoring', () => {
    for (const [rows, cols, maxSamples] of [
      [3001, 5, 256],
      [1500, 3, 64],
      [1200, 2, 1200],
      [7, 2, 256],
    ]) {
      const x = cluster(rows, cols, 0, rows);
      x[5] = NaN;
      const forest = IsolationForest.fit(x, rows, cols, { maxSamples, nEstimators: 20 });
      const batch = forest.score(x, rows);
      for (let r = 0; r < rows; r++) {
        expect(batch[r]).toBeCloseTo(forest.scoreRow(x, r * cols), 12);
      }
    }
  });

  it('rejects bad inputs', () => {
    expect(() => IsolationForest.fit(new Float64Array(2), 1, 2)).toThrow(/at least 2 rows/);
    expect(() => IsolationForest.fit(new Float64Array(20), 10, 2, { contamination: 0.7 })).toThrow(/contamination/);
    const forest = IsolationForest.fit(cluster(50, 2, 0), 50, 2);
    expect(() => forest.score(new Float64Array(3), 2)).toThrow(/expected 2 rows of 2 columns/);
  });
});
