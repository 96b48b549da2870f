import { synthetic } from '../../../detection/testSeries';
import { forecastSeries } from './forecast';
import { morningRise, T0, ramp } from './testFixtures';

describe('forecastSeries', () => {
  it('predicts when a rising series crosses its limit, with a range around it, and draws up to it', () => {
    const { t, v } = ramp(600, 10, 0.1);
    // 10 + 0.1 * 599 ≈ 70 at the end; 80 is ~100 steps (~8.3 h) ahead.
    const f = forecastSeries({ time: t, values: v, horizonMs: 48 * 3_600_000, limit: 80, direction: 'above' })!;
    const c = f.crossing!;
    expect(c.source).toBe('browser');
    expect(c.seconds / 3600).toBeGreaterThan(6);
    expect(c.seconds / 3600).toBeLessThan(11);
    expect(c.earliestMs).toBeLessThanOrEqual(c.atMs);
    expect(c.latestMs).toBeGreaterThanOrEqual(c.atMs);
    expect(c.fromMs).toBe(t[599]);
    const { path } = f;
    expect(path.time[0]).toBe(t[599]);
    expect(path.value[0]).toBe(v[599]);
    const last = path.time.length - 1;
    expect(path.time[last]).toBeGreaterThanOrEqual(c.atMs);
    for (let k = 1; k <= last; k++) {
      expect(path.lower[k]).toBeLessThanOrEqual(path.value[k]);
      expect(path.upper[k]).toBeGreaterThanOrEqual(path.value[k]);
      expect(path.time[k]).toBeGreaterThan(path.time[k - 1]);
    }
  });

  it('handles a falling series with a limit below', () => {
    const { t, v } = ramp(600, 100, -0.1);
    const c = forecastSeries({
      time: t,
      values: v,
      horizonMs: 48 * 3_600_000,
      limit: 20,
      direction: 'below',
    })!.crossing!;
    expect(Number.isFinite(c.atMs)).toBe(true);
    expect(c.direction).toBe('below');
  });

  it('reports no crossing beyond the horizon it is asked for, and draws the path to that horizon', () => {
    const { t, v } = ramp(600, 10, 0.1);
    // The crossing the first case finds some 8 h ahead (its earliest edge over 6 h): not within 4 h.
    const f = forecastSeries({ time: t, values: v, horizonMs: 4 * 3_600_000, limit: 80, direction: 'above' })!;
    expect(f.crossing).toMatchObject({ atMs: Infinity, earliestMs: Infinity, seconds: Infinity });
    expect(f.path.time[f.path.time.length - 1] - t[599]).toBe(4 * 3_600_000);
  });

  it('does not carry a daily rhythm’s morning rise across the limit past a short horizon', () => {
    const { t, v } = morningRise();
    // A 6 h dashboard forecasts a quarter of its range ahead, 1.5 h; the rise peaks at 0.80, under the limit.
    const c = forecastSeries({
      time: t,
      values: v,
      horizonMs: 1.5 * 3_600_000,
      limit: 0.85,
      direction: 'above',
    })!.crossing!;
    expect(c.atMs).toBe(Infinity);
  });

  it('draws the forecast over the horizon without a crossing when no limit is set', () => {
    const { t, v } = synthetic('noise', 500);
    const f = forecastSeries({ time: t, values: v, horizonMs: 6 * 3_600_000, direction: 'above' })!;
    expect(f.crossing).toBeUndefined();
    expect(f.path.time[f.path.time.length - 1] - t[499]).toBe(6 * 3_600_000);
    expect(f.path.time.length).toBeLessThanOrEqual(121);
  });

  it('gives nothing for a series too short to have a step', () => {
    expect(
      forecastSeries({ time: Float64Array.of(T0), values: Float64Array.of(1), horizonMs: 1000, direction: 'above' })
    ).toBeUndefined();
  });
});
