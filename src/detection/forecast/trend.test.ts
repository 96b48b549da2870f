import { Random } from '../random';
import { DAY_MS, quadraticFit } from './trend';

const BUCKET = 30 * 60_000;

/** Bucket times over the last `days` up to `now`, and values of `f` (t in days before now) plus noise. */
function series(days: number, f: (d: number) => number, noise: number, seed = 1) {
  const rng = new Random(seed);
  const now = 10 * DAY_MS;
  const t: number[] = [];
  const y: number[] = [];
  for (let x = now - days * DAY_MS; x <= now; x += BUCKET) {
    const d = (x - now) / DAY_MS;
    t.push(x);
    y.push(f(d) + noise * (rng.next() - 0.5));
  }
  return { t, y, now };
}

const rhythm = (d: number): number => 0.05 * Math.sin(2 * Math.PI * (d + 0.2));

describe('quadraticFit: how much a series bends', () => {
  it('recovers the curvature of a quadratic and extrapolates it', () => {
    const { t, y, now } = series(2, (d) => 0.3 + 0.1 * d + 0.05 * d * d, 0.001);
    const fit = quadraticFit(t, y, 0, now)!;
    expect(fit.curvature * DAY_MS ** 2).toBeCloseTo(0.05, 2);
    expect(fit.at(DAY_MS)).toBeCloseTo(0.3 + 0.1 + 0.05, 2);
  });

  it('over a single day, takes a daily rhythm for a bend unless a daily harmonic is fitted beside it', () => {
    const { t, y, now } = series(1, (d) => 0.5 + rhythm(d), 0.002);
    const plain = quadraticFit(t, y, 0, now)!;
    const withRhythm = quadraticFit(t, y, 0, now, true)!;
    expect(Math.abs(plain.curvature)).toBeGreaterThan(3 * plain.curvatureErr);
    expect(Math.abs(withRhythm.curvature)).toBeLessThan(2 * withRhythm.curvatureErr);
  });

  it('finds a bend under that rhythm with the harmonic beside it', () => {
    const { t, y, now } = series(1, (d) => 0.3 + 0.2 * (d + 1) ** 2 + rhythm(d), 0.002);
    const fit = quadraticFit(t, y, 0, now, true)!;
    expect(fit.curvature * DAY_MS ** 2).toBeCloseTo(0.2, 1);
    expect(fit.curvature).toBeGreaterThan(2 * fit.curvatureErr);
  });

  it('refuses too few points', () => {
    const { t, y, now } = series(0.1, (d) => d, 0);
    expect(quadraticFit(t, y, 0, now, true)).toBeNull();
  });
});
