import { Random } from '../random';
import { breaks, median } from './resets';

/** The resets as defined, from scratch: every window sliced and sorted, nothing shared or picked. */
function breaksAsDefined(y: number[]): number[] {
  if (y.length < 6) {
    return [];
  }
  const middle = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const n = s.length;
    return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  };
  const found = new Set<number>();
  for (const lag of [1, 2]) {
    const d = y.slice(lag).map((v, i) => v - y[i]);
    const usual = d.map((_, i) =>
      middle([...d.slice(Math.max(0, i - 3 - lag), Math.max(0, i - lag + 1)), ...d.slice(i + lag, i + lag + 4)])
    );
    const dev = d.map((x, i) => x - usual[i]);
    const scale = Math.max(1.4826 * middle(dev.map(Math.abs)), 1e-9 * Math.max(...y.map(Math.abs)), 1e-12);
    d.forEach((_, i) => {
      if (Math.abs(dev[i]) > Math.max(8 * scale, Math.abs(usual[i]))) {
        found.add(i + lag);
      }
    });
  }
  const out = [...found].sort((a, b) => a - b);
  return out.filter((r, k) => out[k + 1] !== r + 1);
}

/** A bucket history of n means: a drift, noise (or none), jumps, flat runs and ties. */
function history(rng: Random, n: number): number[] {
  const y: number[] = [];
  let v = rng.next() * 10 - 5;
  const noise = rng.next() < 0.15 ? 0 : rng.next() ** 2;
  const drift = (rng.next() - 0.5) * 0.1;
  const jumps = rng.next() * 0.05;
  const grid = rng.next() < 0.2 ? 0.5 : 0;
  for (let i = 0; i < n; i++) {
    v += drift + noise * (rng.next() - 0.5);
    if (rng.next() < jumps) {
      v = (rng.next() - 0.5) * 20;
    }
    // On a grid (integers, halves), many changes tie and many are zero.
    y.push(grid > 0 ? Math.round(v / grid) * grid : v);
  }
  return y;
}

describe('breaks: where a bucketed history resets', () => {
  it('finds a jump far beyond the usual change, and none on a noisy ramp', () => {
    const rng = new Random(4);
    const ramp = Array.from({ length: 96 }, (_, i) => 0.3 + 0.001 * i + 0.002 * rng.next());
    expect(Array.from(breaks(ramp).resets)).toEqual([]);
    // A clean-up before bucket 60: its change across two buckets reaches into bucket 61 too.
    const cleaned = ramp.map((v, i) => (i >= 60 ? v - 0.2 : v));
    expect(Array.from(breaks(cleaned).resets)).toEqual([61]);
    // A shift inside bucket 40, split between two changes, is one reset after its last bucket.
    const split = ramp.map((v, i) => (i === 40 ? v - 0.1 : i > 40 ? v - 0.2 : v));
    expect(Array.from(breaks(split).resets)).toEqual([42]);
  });

  it('gives the resets of the definition on 3,000 random histories of up to 420 buckets', () => {
    const rng = new Random(23);
    let resets = 0;
    for (let k = 0; k < 3000; k++) {
      const y = history(rng, Math.floor(rng.next() * 421));
      const expected = breaksAsDefined(y);
      expect(Array.from(breaks(y).resets)).toEqual(expected);
      resets += expected.length;
    }
    // The histories do reset, often enough for the comparison to mean something.
    expect(resets).toBeGreaterThan(1000);
  });
});

describe('median', () => {
  it('is the middle of the sorted values, or the mean of the middle two, for short and long lists', () => {
    expect(median([])).toBeNaN();
    expect(median([3])).toBe(3);
    expect(median([5, -1, 4, 4])).toBe(4);
    expect(median([9, 1, 8, 2, 7, 3, 6, 4, 5])).toBe(5);
    // Past the insertion sort's 16: a list in reverse with ties, then one that grows the scratch.
    const long = Array.from({ length: 41 }, (_, i) => Math.floor((40 - i) / 2));
    expect(median(long)).toBe(10);
    const huge = Array.from({ length: 1001 }, (_, i) => (i * 7919) % 1001);
    expect(median(huge)).toBe(500);
    expect(median([1, 2, 3, 4, 100, 200])).toBe(3.5);
    // What it was given is left as it was.
    const given = [3, 1, 2];
    median(given);
    expect(given).toEqual([3, 1, 2]);
  });

  it('picks the same middle as a sort on random lists with ties, odd and even', () => {
    const rng = new Random(5);
    for (let k = 0; k < 2000; k++) {
      const n = 1 + Math.floor(rng.next() * 300);
      const ties = rng.next() < 0.5;
      const xs = Array.from({ length: n }, () => (ties ? Math.floor(rng.next() * 10) : rng.next() - 0.5));
      const s = [...xs].sort((a, b) => a - b);
      expect(median(xs)).toBe(n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2);
    }
  });
});
