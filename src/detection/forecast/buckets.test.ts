import { deserialize, serialize } from 'node:v8';
import { Random } from '../random';
import { BucketHistory } from './buckets';
import { CrossingForecaster } from './crossing';

/** The series as defined by the saved state: every ring slot from the oldest kept, taken modulo the ring. */
function seriesOfState(h: BucketHistory, sign: number): { t: number[]; y: number[] } {
  const s = h.toState();
  const t: number[] = [];
  const y: number[] = [];
  const m = s.offsets.length;
  const newest = s.newest ?? NaN;
  for (let k = newest - m + 1; k < newest; k++) {
    const v = s.offsets[((k % m) + m) % m];
    if (v !== null && (k + 1) * h.bucketMs > (s.firstMs ?? NaN)) {
      t.push(k * h.bucketMs + h.bucketMs / 2);
      y.push(sign * (s.base! + v));
    }
  }
  const [sum, count, sumT] = s.partial;
  if (count > 0 && sum !== null) {
    t.push(sumT / count);
    y.push((sign * sum) / count);
  }
  return { t, y };
}

describe('BucketHistory.series', () => {
  it('reads the buckets the saved state holds, through gaps and once the ring has wrapped', () => {
    const rng = new Random(9);
    let wrapped = 0;
    for (let run = 0; run < 40; run++) {
      const bucketMs = [60_000, 1_800_000, 3_600_000][run % 3];
      const h = new BucketHistory(bucketMs, bucketMs * (3 + Math.floor(rng.next() * 40)));
      const start = Math.floor(rng.next() * 1e9);
      let t = start;
      for (let i = 0; i < 300; i++) {
        // Steps of a fraction of a bucket to several buckets (a gap); now and then a missing value.
        t += Math.ceil(bucketMs * (rng.next() < 0.1 ? 5 * rng.next() : 0.4 * rng.next()));
        h.update(t, rng.next() < 0.05 ? NaN : rng.next() * 10 - 5);
        for (const sign of [1, -1]) {
          const { t: times, y } = h.series(sign);
          expect({ t: Array.from(times), y: Array.from(y) }).toEqual(seriesOfState(h, sign));
        }
      }
      wrapped += t - start > h.toState().offsets.length * bucketMs ? 1 : 0;
    }
    expect(wrapped).toBeGreaterThan(20);
  });
});

describe('BucketHistory: buckets of few samples', () => {
  const MIN = 60_000;
  /** Which buckets of half an hour, from the first, hold a mean. */
  const held = (h: BucketHistory): number[] => Array.from(h.series(1).t, (t) => Math.floor(t / (30 * MIN)));

  it('leaves out a bucket of fewer than half the samples of a full one, and takes a slower scrape as full', () => {
    const h = new BucketHistory(30 * MIN, 24 * 60 * MIN);
    const feed = (from: number, to: number, step: number) => {
      for (let t = from; t < to; t += step) {
        h.update(t, 1 + t / (60 * MIN));
      }
    };
    // Buckets 0-3 at a 1-minute scrape; bucket 4 only its first 5 minutes (a scrape gap), bucket 5
    // none; 6 and 7 at 1 minute again; from bucket 8 a 4-minute scrape (8 and 7 samples a bucket in
    // turn), taken as full from bucket 10 (8 and 7 are under half of 30, then of 15; 8 is not of
    // 7.5). The filling bucket 11 holds 7 samples so far.
    feed(0, 125 * MIN, MIN);
    feed(180 * MIN, 240 * MIN, MIN);
    feed(240 * MIN, 360 * MIN, 4 * MIN);
    expect(held(h)).toEqual([0, 1, 2, 3, 6, 7, 10, 11]);
    expect(h.fillingVarianceRatio).toBe(8 / 7);
  });
});

describe('BucketHistory memory', () => {
  const HOUR = 3_600_000;
  /** One sample a bucket from hour 0: bucket k holds value(k). */
  const filled = (buckets: number, value: (k: number) => number) => {
    const h = new BucketHistory(HOUR, 24 * HOUR);
    for (let k = 0; k <= buckets; k++) {
      h.update(k * HOUR, value(k));
    }
    return h;
  };

  it('keeps what a series moves by to 7 digits whatever its magnitude (float32 differences from its first mean)', () => {
    // A disk of ~1 TB filling by 1 kB an hour: float32 means would round it to steps of 65,536 bytes.
    const bytes = (k: number) => 1e12 + 1000 * k;
    const { y } = filled(20, bytes).series(1);
    const steps = Array.from(y)
      .slice(1)
      .map((v, i) => v - y[i]);
    expect(steps).toHaveLength(20);
    for (const step of steps) {
      expect(step).toBeCloseTo(1000, 3);
    }
  });

  it('saves and restores every bucket bit for bit, and reads a history of doubles saved by earlier builds', () => {
    const rng = new Random(4);
    const value = (k: number) => 0.3 + 0.01 * k + 0.001 * rng.next();
    const h = filled(30, value);
    const copy = new BucketHistory(HOUR, 24 * HOUR);
    expect(copy.restore(JSON.parse(JSON.stringify(h.toState())), 'offsets')).toBeNull();
    expect(copy.toState()).toEqual(h.toState());
    expect(Array.from(copy.series(-1).y)).toEqual(Array.from(h.series(-1).y));

    // Earlier builds saved each bucket's mean: read as the same series, within a float32 of each difference.
    const { base, offsets, ...rest } = h.toState();
    const means = offsets.map((x) => (x === null ? null : base! + x));
    const old = new BucketHistory(HOUR, 24 * HOUR);
    expect(old.restore({ ...rest, means }, 'means')).toBeNull();
    const [now, then] = [h.series(1), old.series(1)];
    expect(then.t).toEqual(now.t);
    then.y.forEach((v, i) => expect(v).toBeCloseTo(now.y[i], 6));
    expect(old.restore({ ...rest, means: means.slice(1) }, 'means')).toBe('its history does not fit its options');
    expect(old.restore({ ...rest, offsets }, 'means')).toBe('its history is malformed');
    // Each shape only where its version says: means read as offsets would be a history of huge steps.
    expect(old.restore({ ...rest, means }, 'offsets')).toBe('its history is malformed');
    expect(old.restore({ ...rest, base, offsets, means }, 'offsets')).toBeNull();
  });

  it('leaves out a mean too far from the first for a float32, and its state still saves', () => {
    const h = filled(5, (k) => (k === 3 ? 1e300 : 1));
    const { y } = h.series(1);
    expect(Array.from(y)).toEqual([1, 1, 1, 1, 1]);
    const state = h.toState();
    const copy = new BucketHistory(HOUR, 24 * HOUR);
    expect(copy.restore(JSON.parse(JSON.stringify(state)), 'offsets')).toBeNull();
  });
});

describe('a history of values near the largest double (a bucket sum past it)', () => {
  const MIN = 60_000;
  const series: Record<string, (i: number) => number> = {
    '1e308 after ordinary values': (i) => (i < 600 ? 50 + (i % 7) : 1e308),
    '-1e308 after ordinary values': (i) => (i < 600 ? 50 + (i % 7) : -1e308),
    '1e308 and -1e308 alternating': (i) => (i % 2 ? 1e308 : -1e308),
    'a steady 1.7e308': () => 1.7e308,
  };

  it.each(Object.keys(series))('%s: saved with finite sums, restored, and read as the history in memory', (name) => {
    const value = series[name];
    const fc = new CrossingForecaster();
    for (let i = 0; i < 1500; i++) {
      fc.update(i * MIN, value(i));
      if (i % 7 !== 3) {
        continue;
      }
      const state = fc.toState();
      const [sum, count, sumT] = state.history.partial;
      expect(sum === null || Number.isFinite(sum)).toBe(true);
      expect([count, sumT].every(Number.isFinite)).toBe(true);
      // The pipeline stores states with v8's serializer (exact for every double), the tests with JSON.
      const copies = [deserialize(serialize(state)), JSON.parse(JSON.stringify(state))].map((copy) =>
        CrossingForecaster.fromState(copy)
      );
      for (const restored of copies) {
        expect(restored.toState()).toEqual(state);
      }
      for (let j = i + 1; j < i + 40; j++) {
        for (const f of [fc, ...copies]) {
          f.update(j * MIN, value(j));
        }
      }
      i += 39;
      for (const restored of copies) {
        for (const [limit, direction] of [
          [1e300, 'above'],
          [-1e300, 'below'],
          [100, 'above'],
        ] as const) {
          expect(restored.crossing(limit, direction)).toEqual(fc.crossing(limit, direction));
        }
        expect(restored.toState()).toEqual(fc.toState());
      }
    }
  });

  it('reads a bucket whose sum has left the doubles as an empty one, as it keeps it once sealed', () => {
    const h = new BucketHistory(MIN, 10 * MIN);
    h.update(0, 1e308);
    h.update(1_000, 1e308);
    expect(h.series(1).y).toHaveLength(0);
    expect(h.valueAt(1, 0)).toBeNull();
    expect(h.toState().partial).toEqual([null, 2, 1_000]);
    h.update(MIN, 5);
    expect(Array.from(h.series(1).y)).toEqual([5]);
    expect(h.valueAt(1, 0)).toBeNull();
  });
});
