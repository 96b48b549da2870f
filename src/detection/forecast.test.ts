import {
  CrossingForecaster,
  forecastTimeToLimit,
  linearTimeToLimit,
  predictLinear,
  StreamingForecaster,
} from './forecast';
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

describe('CrossingForecaster: a time to failure only when the data supports it', () => {
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const feed = (f: CrossingForecaster, from: number, to: number, value: (tMs: number) => number) => {
    for (let t = from; t <= to; t += STEP) {
      f.update(T0 + t, value(t));
    }
  };

  it('says nothing from six minutes of history, however steep the rise', () => {
    const f = new CrossingForecaster();
    for (let i = 0; i <= 6; i++) {
      f.update(T0 + i * 60_000, 0.16 + 0.01 * i);
    }
    expect(f.crossing(0.95, 'above')).toBe('too little history');
  });

  it('bounds the horizon by the history behind it', () => {
    const f = new CrossingForecaster();
    // Three hours of a clean rise that would reach the limit 5 h later.
    feed(f, 0, 3 * HOUR, (t) => 0.2 + (0.1 * t) / HOUR);
    expect(f.crossing(1, 'above')).toBe('beyond the horizon its history supports');
    // The same rise, 1 h from the limit: within half the history.
    expect(f.crossing(0.6, 'above')).toMatchObject({ method: 'trend' });
  });

  it('does not take the morning rise of a daily cycle for a leak', () => {
    const rng = new Random(5);
    const f = new CrossingForecaster();
    const cycle = (t: number) => 0.5 + 0.3 * Math.sin((2 * Math.PI * t) / DAY) + 0.01 * (rng.next() - 0.5);
    // Four days, stopped in the steepest part of the fourth morning's rise.
    feed(f, 0, 3 * DAY + 2 * HOUR, cycle);
    expect(f.crossing(0.9, 'above')).toBe('no significant trend');
  });

  it('takes a clean-up in the newest, still filling bucket for a reset, not for the top of a rise', () => {
    const rng = new Random(11);
    const f = new CrossingForecaster();
    // A disk filled 0.38 a day from 40%, cleaned at 03:00; stopped on the first sample after the second clean-up.
    const disk = (t: number) => 0.4 + 0.38 * ((t / DAY - 3 / 24 + 1) % 1) + 0.005 * (rng.next() - 0.5);
    feed(f, 0, DAY + 3 * HOUR, disk);
    expect(f.crossing(0.9, 'above')).toBe('no significant trend');
  });

  it('takes a level shift inside a bucket, split between two changes, for a reset and not for a trend', () => {
    const rng = new Random(14);
    const shiftAt = 3 * DAY + 15 * 60_000;
    const level = (t: number) => (t >= shiftAt ? 0.7 : 0.6) + 0.05 * (rng.next() - 0.5);
    for (const after of [10 * HOUR, DAY + 4 * HOUR]) {
      const f = new CrossingForecaster();
      feed(f, 0, shiftAt + after, level);
      expect(f.crossing(0.9, 'above')).toBe('no significant trend');
    }
  });

  it('before a day-ago comparison, needs a level not seen for a day, even before a reset', () => {
    const rng = new Random(12);
    const disk = (t: number) => 0.4 + 0.38 * ((t / DAY - 3 / 24 + 1) % 1) + 0.005 * (rng.next() - 0.5);
    // 01:00 on the second day: rising since yesterday's 03:00 clean-up, but no higher than before it.
    const f = new CrossingForecaster();
    feed(f, 0, DAY + HOUR, disk);
    expect(f.crossing(0.9, 'above')).toBe('no significant trend');
    // The same rise without the day before it to compare with is a leak.
    const g = new CrossingForecaster();
    feed(g, 3 * HOUR + STEP, DAY + HOUR, disk);
    expect(g.crossing(0.9, 'above')).toMatchObject({ method: 'trend' });
  });

  it('follows a leak that speeds up under a strong daily rhythm, by the trend of the change against a day ago', () => {
    const rng = new Random(13);
    const start = 2 * DAY;
    const cycle = (t: number) => 0.4 + 0.1 * Math.sin((2 * Math.PI * t) / DAY) + 0.005 * (rng.next() - 0.5);
    // A quadratic leak, one day old: yesterday's shape plus today's change never reaches 0.9 in a day.
    const leaking = (t: number) => cycle(t) + (t > start ? 0.1 * ((t - start) / DAY) ** 2 : 0);
    const f = new CrossingForecaster();
    feed(f, 0, start + DAY, leaking);
    const ttf = f.crossing(0.9, 'above');
    if (typeof ttf === 'string') {
      throw new Error(`expected a crossing, got "${ttf}"`);
    }
    expect(ttf.seconds).toBeLessThan((2 * DAY) / 1000);
    // The rhythm alone, stopped at the same hour: its rise is yesterday's, no leak.
    const g = new CrossingForecaster();
    feed(g, 0, start + DAY, cycle);
    expect(typeof g.crossing(0.9, 'above')).toBe('string');
  });

  it('covers the crossing of a leak that keeps speeding up (the trend of the day-ago change) with its interval', () => {
    const rng = new Random(16);
    const path = (t: number) =>
      0.3 + (t > 2 * DAY ? 0.09 * ((t - 2 * DAY) / DAY) ** 2 : 0) + 0.02 * Math.sin(2 * Math.PI * (t / DAY - 0.3));
    const f = new CrossingForecaster();
    const now = 4 * DAY;
    feed(f, 0, now, (t) => path(t) + 0.02 * (rng.next() - 0.5));
    let truth = now;
    while (path(truth) < 0.9) {
      truth += 60_000;
    }
    const ttf = f.crossing(0.9, 'above', 0.95);
    if (typeof ttf === 'string') {
      throw new Error(`expected a crossing, got "${ttf}"`);
    }
    const trueSeconds = (truth - now) / 1000;
    expect(ttf.lowerSeconds).toBeLessThanOrEqual(trueSeconds);
    expect(ttf.upperSeconds).toBeGreaterThanOrEqual(trueSeconds);
    expect(Math.abs(ttf.seconds - trueSeconds) / trueSeconds).toBeLessThan(0.2);
  });

  it('does not take the rising days of a weekly rhythm for a speeding leak once a week-ago comparison exists', () => {
    const rng = new Random(15);
    // The backtest's weekly cycle: a daily rhythm on a weekly one that peaks at 0.77, never 0.9.
    const weekly = (t: number) =>
      0.45 +
      0.12 * Math.sin((2 * Math.PI * (t / DAY - 0.3)) / 1) +
      0.2 * Math.sin((2 * Math.PI * t) / (7 * DAY)) +
      0.02 * (rng.next() - 0.5);
    const f = new CrossingForecaster();
    // Day 7.6: the weekly rise is speeding up the change against a day ago.
    feed(f, 0, 7.6 * DAY, weekly);
    expect(typeof f.crossing(0.9, 'above', 0.95)).toBe('string');
  });

  it('does not take a rise back into levels the series already reached and left for a leak, before a week-ago comparison', () => {
    const daily = (t: number) => 0.12 * Math.sin(2 * Math.PI * (t / DAY - 0.3));
    const week = (t: number) => 0.2 * Math.sin((2 * Math.PI * t) / (7 * DAY));
    // The backtest's weekly cycle on day 6.9: rising (and speeding up) from its trough towards the
    // levels of days 1-3, which it left; a week-ago comparison exists only from day 7.2.
    const rng = new Random(15);
    const f = new CrossingForecaster();
    feed(f, 0, 6.92 * DAY, (t) => 0.45 + daily(t) + week(t) + 0.02 * (rng.next() - 0.5));
    expect(f.crossing(0.9, 'above', 0.95)).toBe('no significant trend');
    // The same rise from the trough on, on a series that never was that high: a leak.
    const fresh = new Random(15);
    const g = new CrossingForecaster();
    feed(g, 0, 6.92 * DAY, (t) => 0.45 + daily(t) + (t > 5.25 * DAY ? 0.2 + week(t) : 0) + 0.02 * (fresh.next() - 0.5));
    expect(g.crossing(0.9, 'above', 0.95)).toMatchObject({ method: 'trend' });
  });

  it('follows a rise that slows down (the change against a day ago falling) instead of extending it as a line', () => {
    const daily = (t: number) => Math.sin(2 * Math.PI * (t / DAY - 0.3));
    // The weekly cycle on day 2: past the steepest part of its rise, the day-ago change falling.
    const rng = new Random(15);
    const f = new CrossingForecaster();
    feed(
      f,
      0,
      2 * DAY,
      (t) => 0.45 + 0.12 * daily(t) + 0.2 * Math.sin((2 * Math.PI * t) / (7 * DAY)) + 0.02 * (rng.next() - 0.5)
    );
    expect(typeof f.crossing(0.9, 'above', 0.95)).toBe('string');
    // A rise that slows but still reaches its limit: the slowing is followed, not taken for a line.
    const path = (t: number) => 0.3 + 0.8 * (1 - Math.exp(-t / (2 * DAY))) + 0.05 * daily(t);
    const noise = new Random(15);
    const g = new CrossingForecaster();
    feed(g, 0, 2 * DAY, (t) => path(t) + 0.02 * (noise.next() - 0.5));
    let truth = 2 * DAY;
    while (path(truth) < 0.9) {
      truth += 60_000;
    }
    const trueSeconds = (truth - 2 * DAY) / 1000;
    const ttf = g.crossing(0.9, 'above', 0.95);
    if (typeof ttf === 'string') {
      throw new Error(`expected a crossing, got "${ttf}"`);
    }
    // A line over the rise would put it at 6.5 h, 38% early.
    expect(Math.abs(ttf.seconds - trueSeconds) / trueSeconds).toBeLessThan(0.25);
  });

  it('finds a linear leak within 10% with an interval around it, and says when it already crossed', () => {
    const rng = new Random(9);
    const f = new CrossingForecaster();
    // 0.3 for two days, then +0.2 a day: 0.3 + 0.2 * 2.5 = 0.8 at the end, 0.9 half a day later.
    const leak = (t: number) => 0.3 + (t > 2 * DAY ? (0.2 * (t - 2 * DAY)) / DAY : 0) + 0.01 * (rng.next() - 0.5);
    feed(f, 0, 4.5 * DAY, leak);
    const ttf = f.crossing(0.9, 'above', 0.95);
    if (typeof ttf === 'string') {
      throw new Error(`expected a crossing, got "${ttf}"`);
    }
    expect(Math.abs(ttf.seconds - 12 * 3600) / (12 * 3600)).toBeLessThan(0.1);
    expect(ttf.lowerSeconds).toBeLessThanOrEqual(ttf.seconds);
    expect(ttf.upperSeconds).toBeGreaterThanOrEqual(ttf.seconds);
    expect(ttf.lowerSeconds).toBeGreaterThan(6 * 3600);
    expect(f.crossing(0.7, 'above')).toMatchObject({ seconds: 0 });
    // Falling to a lower limit is the same question mirrored: this series is not falling.
    expect(typeof f.crossing(0.1, 'below')).toBe('string');
  });

  it('resumes from its state and refuses a corrupt one', () => {
    const f = new CrossingForecaster();
    feed(f, 0, 6 * HOUR, (t) => 0.2 + (0.05 * t) / HOUR);
    const copy = CrossingForecaster.fromState(JSON.parse(JSON.stringify(f.toState())));
    expect(copy.crossing(0.5, 'above')).toEqual(f.crossing(0.5, 'above'));
    expect(() => CrossingForecaster.fromState({ format: 'failureprophet.crossing', version: 2, options: {} })).toThrow(
      /its history is missing/
    );
    expect(() => CrossingForecaster.fromState({ format: 'failureprophet.crossing', version: 4, options: {} })).toThrow(
      /version 4 is not one this build reads/
    );
    expect(() => CrossingForecaster.fromState({ format: 'failureprophet.forecaster', version: 2 })).toThrow(
      /not a failureprophet.crossing snapshot/
    );
  });

  it('migrates a version 1 snapshot (history only): same history, empty calibration', () => {
    const f = new CrossingForecaster();
    feed(f, 0, 6 * HOUR, (t) => 0.2 + (0.05 * t) / HOUR);
    const { history, options } = f.toState();
    // Version 1 builds saved each bucket's mean as a double, beside the format, and did not count
    // what a full bucket holds (none counted until the next bucket is sealed).
    const { base, offsets, fullCount, ...fields } = history;
    expect(fullCount).toBe(6);
    const means = offsets.map((x) => (x === null ? null : base! + x));
    const v1 = { format: 'failureprophet.crossing', version: 1, options, ...fields, means };
    const migrated = CrossingForecaster.fromState(JSON.parse(JSON.stringify(v1)));
    expect(migrated.toState().history).toEqual({ ...history, fullCount: 0 });
    expect(migrated.calibrationCounts.every((n) => n === 0)).toBe(true);
    expect(migrated.crossing(0.5, 'above')).toEqual(f.crossing(0.5, 'above'));
  });

  it('keeps its out-of-sample errors through a snapshot, within a bounded size', () => {
    const rng = new Random(21);
    const f = new CrossingForecaster();
    feed(f, 0, 6 * DAY, (t) => 0.3 + (0.1 * t) / DAY + 0.01 * (rng.next() - 0.5));
    expect(f.calibrationCounts[0]).toBeGreaterThanOrEqual(100);
    const state = JSON.parse(JSON.stringify(f.toState()));
    // Bounded: a week of 5-minute samples still fits in a small snapshot.
    expect(JSON.stringify(state).length).toBeLessThan(40_000);
    const copy = CrossingForecaster.fromState(state);
    expect(copy.calibrationCounts).toEqual(f.calibrationCounts);
    expect(copy.crossing(0.95, 'above', 0.8)).toEqual(f.crossing(0.95, 'above', 0.8));
  });
});
