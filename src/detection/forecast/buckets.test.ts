import { Random } from '../random';
import { BucketHistory } from './buckets';

/** The series as defined by the saved state: every ring slot from the oldest kept, taken modulo the ring. */
function seriesOfState(h: BucketHistory, sign: number): { t: number[]; y: number[] } {
  const s = h.toState();
  const t: number[] = [];
  const y: number[] = [];
  const m = s.means.length;
  const newest = s.newest ?? NaN;
  for (let k = newest - m + 1; k < newest; k++) {
    const v = s.means[((k % m) + m) % m];
    if (v !== null && (k + 1) * h.bucketMs > (s.firstMs ?? NaN)) {
      t.push(k * h.bucketMs + h.bucketMs / 2);
      y.push(sign * v);
    }
  }
  const [sum, count, sumT] = s.partial;
  if (count > 0) {
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
      wrapped += t - start > h.toState().means.length * bucketMs ? 1 : 0;
    }
    expect(wrapped).toBeGreaterThan(20);
  });
});
