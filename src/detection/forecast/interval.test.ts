import { Random } from '../random';
import { CALIBRATION_HORIZONS, HorizonCalibration, type BucketForecast } from './interval';

/** Standard normal draw (Box-Muller). */
function gauss(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

describe('HorizonCalibration (conformal quantiles of the path errors per horizon)', () => {
  /** Feeds `n` buckets where the truth misses a flat forecast of 0 (sd 1) by `spread` standard normals. */
  const run = (spread: number, n: number, sign = 1, seed = 1): HorizonCalibration => {
    const rng = new Random(seed);
    const c = new HorizonCalibration();
    for (let k = 0; k < n; k++) {
      c.observe(k, spread * gauss(rng), 0, sign, () => ({ mean: 0, sd: 1 }));
    }
    return c;
  };

  it('gives no quantile before a horizon holds enough errors, then one near the true spread', () => {
    expect(run(2, 30).quantile(1, 0.975, 1)).toBeNull();
    const c = run(2, 600);
    // Errors of sd 2 in units of a claimed sd of 1: the 97.5% edge is about 2 * 1.96.
    expect(c.quantile(1, 0.975, 1)).toBeGreaterThan(3);
    expect(c.quantile(1, 0.975, 1)).toBeLessThan(5.5);
    expect(c.quantile(1, 0.025, 1)).toBeLessThan(-3);
    // An under-confident model gets a narrower band: the quantiles follow the errors, not the claim.
    expect(Math.abs(run(0.5, 600).quantile(1, 0.975, 1) as number)).toBeLessThan(1.5);
  });

  it('keeps errors in the series own sense: a path towards a lower limit reads them mirrored', () => {
    const rng = new Random(3);
    const c = new HorizonCalibration();
    // The truth always lands above the forecast by 1-2 sd.
    for (let k = 0; k < 600; k++) {
      c.observe(k, 1 + rng.next(), 0, 1, () => ({ mean: 0, sd: 1 }));
    }
    expect(c.quantile(2, 0.1, 1)).toBeGreaterThan(0.9);
    // Seen from a falling path (signed values negated), the truth lands below it.
    expect(c.quantile(2, 0.9, -1)).toBeLessThan(-0.9);
  });

  it('drops forecasts made before a reset that comes before their bucket, and stays bounded', () => {
    const c = new HorizonCalibration();
    for (let k = 0; k < 100; k++) {
      // A reset every 10 buckets: only horizons shorter than the time since the reset are scored.
      c.observe(k, 0, Math.floor(k / 10), 1, () => ({ mean: 0, sd: 1 }));
    }
    const [h1, h2, h4, h8, h16] = c.counts;
    expect(h1).toBeGreaterThan(80);
    expect(h2).toBeLessThan(h1);
    expect(h4).toBeLessThan(h2);
    expect(h8).toBeGreaterThan(0);
    expect(h16).toBe(0);
    expect(c.counts.every((n) => n <= 120)).toBe(true);
    expect(c.toState().pending.map((q) => q.length)).toEqual([1, 2, 4, 8, 8, 8, 8, 8]);
  });

  it('restores its snapshot and refuses a malformed one', () => {
    const c = run(1, 300);
    const copy = new HorizonCalibration();
    expect(copy.restore(JSON.parse(JSON.stringify(c.toState())))).toBeNull();
    expect(copy.quantile(3, 0.9, 1)).toBe(c.quantile(3, 0.9, 1));
    expect(copy.restore({ pending: [], errors: [] })).toMatch(/malformed/);
    // More forecasts pending at a horizon than observe ever leaves there.
    const pending = c.toState().pending.map((q, i) => (i === 0 ? [...q, [1e9, 0, 1, 0]] : q));
    expect(copy.restore({ ...c.toState(), pending })).toMatch(/malformed/);
    expect(new HorizonCalibration().restore({ ...c.toState(), errors: c.toState().errors.map(() => [NaN]) })).toMatch(
      /malformed/
    );
  });
});

/**
 * The calibration as it was kept before its typed rings (plain arrays per horizon and per forecast):
 * the oracle the rings must match number for number.
 */
class ArrayCalibration {
  pending: number[][][] = CALIBRATION_HORIZONS.map(() => []);
  errors: number[][] = CALIBRATION_HORIZONS.map(() => []);

  observe(k: number, actual: number | null, resetMs: number, sign: number, forecast: BucketForecast | null): void {
    CALIBRATION_HORIZONS.forEach((h, i) => {
      const queue = this.pending[i];
      while (queue.length > 0 && queue[0][0] <= k) {
        const [due, mean, sd, madeAfter] = queue.shift() as number[];
        if (due === k && actual !== null && madeAfter === resetMs && sd > 0) {
          // Kept in float32 (the rings' choice for errors: they scale an interval's width).
          this.errors[i].push(Math.fround((actual - mean) / sd));
          if (this.errors[i].length > 120) {
            this.errors[i].shift();
          }
        }
      }
      if (forecast && k % Math.max(1, Math.floor(h / 8)) === 0) {
        const f = forecast(k + h);
        if (f && Number.isFinite(f.mean) && f.sd > 0) {
          queue.push([k + h, sign * f.mean, f.sd, resetMs]);
        }
      }
    });
  }
}

describe('HorizonCalibration storage (typed rings)', () => {
  it('keeps the same errors and pending forecasts as plain arrays, so the intervals are identical', () => {
    const rng = new Random(16);
    const rings = new HorizonCalibration();
    const arrays = new ArrayCalibration();
    let reset = 0;
    const quantiles: Array<number | null> = [];
    // Sealed buckets with gaps now and then (empty buckets are never sealed): every queue's bound is met.
    for (let k = 0, step = 0; step < 1500; step++, k += rng.next() < 0.05 ? 2 + Math.floor(rng.next() * 20) : 1) {
      // Resets, empty buckets, both senses and a forecast that drifts: every path of observe.
      if (rng.next() < 0.004) {
        reset = k * 1000;
      }
      const actual = rng.next() < 0.05 ? null : 10 * Math.sin(k / 40) + 3 * gauss(rng);
      const sign = k % 500 < 250 ? 1 : -1;
      const drift = rng.next();
      const forecast: BucketForecast | null =
        rng.next() < 0.1 ? null : (at) => ({ mean: sign * (10 * Math.sin(at / 41) + drift), sd: 1 + (at % 7) / 3 });
      rings.observe(k, actual, reset, sign, forecast);
      arrays.observe(k, actual, reset, sign, forecast);
      if (step % 50 === 49) {
        expect(rings.toState()).toEqual({ pending: arrays.pending, errors: arrays.errors });
        const restored = new HorizonCalibration();
        expect(restored.restore(rings.toState())).toBeNull();
        for (const buckets of [1, 3, 8, 20, 96, 200]) {
          for (const p of [0.025, 0.1, 0.5, 0.9, 0.975]) {
            for (const s of [1, -1]) {
              const q = rings.quantile(buckets, p, s);
              expect(restored.quantile(buckets, p, s)).toBe(q);
              quantiles.push(q);
            }
          }
        }
      }
    }
    // The window is full (120 errors at short horizons) and the quantiles were computed from it.
    expect(rings.counts[0]).toBe(120);
    expect(quantiles.filter((q) => q !== null).length).toBeGreaterThan(500);
  });

  it('answers each quantile as the errors kept then give it, asked between changes and across calibrations', () => {
    const rng = new Random(12);
    const a = new HorizonCalibration();
    const b = new HorizonCalibration();
    /** The split-conformal quantile at calibrated horizon j as defined, from the errors saved now (40 at least). */
    const atHorizon = (c: HorizonCalibration, j: number, p: number): number | null => {
      const sorted = [...c.toState().errors[j]].sort((x, y) => x - y);
      const n = sorted.length;
      const rank = p >= 0.5 ? Math.ceil((n + 1) * p) : Math.floor((n + 1) * p);
      return n < 40 || rank < 1 || rank > n ? null : sorted[rank - 1];
    };
    // A horizon past the first is read as the far end of the span below it (interpolated with weight 1).
    const asDefined = (c: HorizonCalibration, j: number, p: number): number | null => {
      if (j === 0) {
        return atHorizon(c, 0, p);
      }
      const below = atHorizon(c, j - 1, p);
      const at = atHorizon(c, j, p);
      return below === null || at === null ? null : below + (at - below);
    };
    let answered = 0;
    const sealed = new Map([
      [a, 0],
      [b, 0],
    ]);
    for (let step = 0; step < 600; step++) {
      const c = rng.next() < 0.5 ? a : b;
      const k = sealed.get(c)! + 1;
      sealed.set(c, k);
      c.observe(k, 3 * gauss(rng), 0, 1, () => ({ mean: 0, sd: 1 }));
      // Several questions a change, to either calibration: an edge asks at many horizons in a row.
      for (let q = 0; q < 4; q++) {
        const asked = rng.next() < 0.5 ? a : b;
        const j = Math.floor(rng.next() * CALIBRATION_HORIZONS.length);
        const p = 0.05 + 0.9 * rng.next();
        const got = asked.quantile(CALIBRATION_HORIZONS[j], p, 1);
        expect(got).toBe(asDefined(asked, j, p));
        answered += got === null ? 0 : 1;
      }
    }
    expect(answered).toBeGreaterThan(250);
  });
});
