import { forecastTimeToLimit, linearTimeToLimit, predictLinear, StreamingForecaster } from './forecast';
import { Random } from './random';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 300_000;

describe('forecaster', () => {
  it('predict_linear matches the least-squares line', () => {
    const t = [0, 60, 120, 180].map((s) => T0 + s * 1000);
    const v = [10, 12, 14, 16];
    // slope 2 per minute; 10 minutes after the last sample: 16 + 20.
    expect(predictLinear(t, v, 600)).toBeCloseTo(36, 9);
    const ttf = linearTimeToLimit(t, v, 20, 'above');
    expect(ttf.seconds).toBeCloseTo(120, 9);
    expect(ttf.lowerSeconds).toBeCloseTo(120, 9); // a perfect line: no uncertainty
    expect(linearTimeToLimit(t, v, 0, 'below').seconds).toBe(Infinity);
    expect(linearTimeToLimit(t, v, 15, 'above').seconds).toBe(0);
  });

  it('Holt-Winters finds the crossing of a linear ramp with a range around it', () => {
    const rng = new Random(3);
    const n = 500;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
    const v = Float64Array.from({ length: n }, (_, i) => 20 + 0.1 * i + (rng.next() - 0.5));
    // Last value ~69.9; 80 is ~101 steps away = ~30300 s.
    const ttf = forecastTimeToLimit(t, v, 80, 'above', { seasonMs: 0 });
    expect(ttf.method).toBe('holt-winters');
    expect(ttf.seconds).toBeGreaterThan(25_000);
    expect(ttf.seconds).toBeLessThan(40_000);
    expect(ttf.lowerSeconds).toBeLessThanOrEqual(ttf.seconds);
    expect(ttf.upperSeconds).toBeGreaterThanOrEqual(ttf.seconds);
    expect(forecastTimeToLimit(t, v, 0, 'below', { seasonMs: 0 }).seconds).toBe(Infinity);
  });

  it('uses the daily season: a peak tomorrow crosses even without a trend', () => {
    const n = 288 * 4;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
    const v = Float64Array.from({ length: n }, (_, i) => 50 + 30 * Math.sin((2 * Math.PI * i) / 288));
    const f = new StreamingForecaster();
    for (let i = 0; i < n; i++) {
      f.update(t[i], v[i]);
    }
    // The series restarts its cycle at 50 going up; 75 is reached ~0.187 of a day later.
    const ttf = f.timeToLimit(75, 'above');
    expect(ttf.seconds / 86400).toBeGreaterThan(0.12);
    expect(ttf.seconds / 86400).toBeLessThan(0.25);
    // predict_linear over the last day sees no trend and never crosses.
    expect(linearTimeToLimit(t.subarray(n - 288), v.subarray(n - 288), 75, 'above').seconds).toBe(Infinity);
  });

  it('bridges gaps and ignores NaN', () => {
    const f = new StreamingForecaster({ seasonMs: 0 });
    for (let i = 0; i < 300; i++) {
      if (i >= 100 && i < 130) {
        continue; // 30 missing steps
      }
      f.update(T0 + i * STEP, i === 200 ? NaN : 10 + 0.05 * i);
    }
    const ttf = f.timeToLimit(30, 'above');
    // Last value 24.95, slope 0.05/step: ~101 steps.
    expect(ttf.seconds / (STEP / 1000)).toBeGreaterThan(80);
    expect(ttf.seconds / (STEP / 1000)).toBeLessThan(130);
  });
});
