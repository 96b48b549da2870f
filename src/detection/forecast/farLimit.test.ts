import { Random } from '../random';
import { BucketHistory } from './buckets';
import { CrossingForecaster } from './crossing';
import { farFromSeen, type SeenRange } from './farLimit';

const HOUR = 3_600_000;
const seen = (lowest: number, highest: number) => ({ range: (): SeenRange => ({ lowest, highest }) });

describe('a limit far beyond every value seen (a unit slip)', () => {
  it('is told of a percent limit on a ratio series, and a ratio limit on a percent series', () => {
    expect(farFromSeen(90, 'above', seen(0.31, 0.98))).toBe(0.98);
    expect(farFromSeen(80, 'above', seen(0, 1))).toBe(1);
    // Availability in percent, its limit written as a ratio.
    expect(farFromSeen(0.9, 'below', seen(99.2, 100))).toBe(99.2);
    // Seconds against a limit in milliseconds.
    expect(farFromSeen(500, 'above', seen(0.05, 0.4))).toBe(0.4);
  });

  it('is not told of a distant limit of the same unit, however far', () => {
    // A disk 5% used against 90%: 18 times beyond, yet both percents.
    expect(farFromSeen(90, 'above', seen(4, 6))).toBeNull();
    // Memory at 100 MiB against a 4 GiB limit: 40 times.
    expect(farFromSeen(4 * 2 ** 30, 'above', seen(95 * 2 ** 20, 105 * 2 ** 20))).toBeNull();
    // A 0.2 s latency against 5 s, 0.3 CPU cores against 2: a ratio-like series, a small limit.
    expect(farFromSeen(5, 'above', seen(0.05, 0.2))).toBeNull();
    expect(farFromSeen(2, 'above', seen(0.1, 0.3))).toBeNull();
    // Free disk bytes falling towards 1 GB from 500 GB; free memory falling to 0.
    expect(farFromSeen(1e9, 'below', seen(4e11, 5e11))).toBeNull();
    expect(farFromSeen(0, 'below', seen(40, 60))).toBeNull();
    // A free-memory percent limit of 5 (%) on a percent series.
    expect(farFromSeen(5, 'below', seen(30, 60))).toBeNull();
  });

  it('reads the history only for a limit that may be far', () => {
    const history = { range: jest.fn((): SeenRange => ({ lowest: 0.2, highest: 0.5 })) };
    expect(farFromSeen(0.95, 'above', history)).toBeNull();
    expect(farFromSeen(5, 'below', history)).toBeNull();
    expect(history.range).not.toHaveBeenCalled();
    expect(farFromSeen(95, 'above', { range: () => null })).toBeNull();
  });
});

describe('BucketHistory.range', () => {
  it('is the lowest and highest of the means series() reads, through gaps and once the ring has wrapped', () => {
    const rng = new Random(3);
    for (let run = 0; run < 30; run++) {
      const bucketMs = [60_000, 1_800_000][run % 2];
      const h = new BucketHistory(bucketMs, bucketMs * (3 + Math.floor(rng.next() * 20)));
      let t = Math.floor(rng.next() * 1e9);
      expect(h.range()).toBeNull();
      for (let i = 0; i < 200; i++) {
        t += Math.ceil(bucketMs * (rng.next() < 0.1 ? 5 * rng.next() : 0.4 * rng.next()));
        // Now and then a value far out, which must leave the range once its bucket leaves the ring.
        h.update(t, rng.next() < 0.02 ? 1000 * rng.next() : rng.next());
        const y = Array.from(h.series(1).y);
        expect(h.range()).toEqual({ lowest: Math.min(...y), highest: Math.max(...y) });
      }
    }
  });
});

describe('CrossingForecaster.farFrom', () => {
  /** A ratio that wanders between 0.5 and 0.6, sampled every minute for `hours`. */
  function fed(hours: number, farLooks: boolean): { f: CrossingForecaster; answers: unknown[] } {
    const f = new CrossingForecaster();
    const answers: unknown[] = [];
    for (let t = 0; t < hours * HOUR; t += 60_000) {
      f.update(t, 0.55 + 0.05 * Math.sin(t / HOUR));
      answers.push(f.crossing(0.65, 'above'));
      if (farLooks) {
        // Between the crossing asked and the next: what the pipeline does, and a view between samples.
        const highest = f.farFrom(65, 'above');
        expect(highest).toBeGreaterThanOrEqual(0.5);
        expect(highest).toBeLessThanOrEqual(0.6);
      }
    }
    return { f, answers };
  }

  it('tells a limit in percent on a ratio, and changes none of its answers', () => {
    const looked = fed(6, true);
    expect(looked.answers.at(-1)).toBe('no significant trend');
    expect(looked.f.farFrom(0.65, 'above')).toBeNull();
    expect(looked.answers).toEqual(fed(6, false).answers);
  });
});
