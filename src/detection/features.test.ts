import { dayOfWeek, featureNames, hourOfDay, promRate, TemporalFeatures } from './features';

const T0 = Date.UTC(2024, 0, 1); // a Monday, 00:00 UTC
const MIN = 60_000;

describe('temporal features', () => {
  it('encodes the hour of day on the unit circle', () => {
    const [s0, c0] = hourOfDay(T0);
    expect(s0).toBeCloseTo(0, 12);
    expect(c0).toBeCloseTo(1, 12);
    const [s6, c6] = hourOfDay(T0 + 6 * 60 * MIN);
    expect(s6).toBeCloseTo(1, 12);
    expect(c6).toBeCloseTo(0, 12);
    const [s18] = hourOfDay(T0 + 18 * 60 * MIN);
    expect(s18).toBeCloseTo(-1, 12);
    // Local time: 23:00 UTC is 01:00 at UTC+2.
    expect(hourOfDay(T0 - 60 * MIN, 120)[0]).toBeCloseTo(Math.sin((2 * Math.PI) / 24), 12);
  });

  it('numbers weekdays from Monday = 0', () => {
    expect(dayOfWeek(T0)).toBe(0);
    expect(dayOfWeek(T0 + 6 * 24 * 60 * MIN)).toBe(6);
    expect(dayOfWeek(Date.UTC(1970, 0, 1))).toBe(3);
  });

  it('computes PromQL rate across a counter reset', () => {
    // 10 s scrapes; the counter restarts after 40: increase = (40-0) + 5 + (15-5) = 55 over 50 s sampled.
    const ts = [0, 10, 20, 30, 40, 50].map((s) => s * 1000);
    const vs = [0, 10, 20, 40, 5, 15];
    // Samples span the whole 50 s range: no extrapolation, rate = 55 / 50.
    expect(promRate(ts, vs, 0, 50_000)).toBeCloseTo(55 / 50, 12);
    // Range 0-60 s, samples at 10, 20, 30 s: the start edge is within 1.1 steps (and the counter
    // would reach zero exactly there), so +10 s; the end edge is 30 s away, so only +half a step.
    // Increase 2 over 20 s sampled, extrapolated to 35 s: 3.5, per second of the 60 s range.
    expect(promRate([10_000, 20_000, 30_000], [1, 2, 3], 0, 60_000)).toBeCloseTo(3.5 / 60, 12);
    expect(promRate([0], [1], 0, 10)).toBeNaN();
  });

  it('fills in the default options (5 min and 1 h windows) and refuses a bad one naming it', () => {
    const f = new TemporalFeatures({ counter: true });
    expect(f.toState().options).toEqual({
      windowsMs: [5 * MIN, 60 * MIN],
      counter: true,
      gapFactor: 3,
      capacity: 1024,
      utcOffsetMinutes: 0,
    });
    expect(featureNames().slice(6)).toEqual(['mean_300s', 'std_300s', 'mean_3600s', 'std_3600s']);
    expect(() => new TemporalFeatures({ capacity: 0 })).toThrow(/Temporal feature options: capacity/);
  });

  it('computes rolling mean, deviation, diff and counter rate online, writing into a row', () => {
    const f = new TemporalFeatures({ windowsMs: [15 * MIN], counter: true });
    expect(featureNames({ windowsMs: [15 * MIN] })).toEqual([
      'hour_sin',
      'hour_cos',
      'day_of_week',
      'value',
      'diff',
      'rate',
      'mean_900s',
      'std_900s',
    ]);
    const row = new Float64Array(f.size);
    const values = [100, 160, 220, 10, 70];
    values.forEach((v, i) => f.update(T0 + i * 5 * MIN, v, row));
    // Last sample: diff 60; the 15 min window holds the samples at 10, 15 and 20 min: 220, 10, 70.
    expect(row[3]).toBe(70);
    expect(row[4]).toBe(60);
    expect(row[5]).toBeCloseTo(60 / 300, 12);
    expect(row[6]).toBeCloseTo((220 + 10 + 70) / 3, 12);
    const mean = 100;
    expect(row[7]).toBeCloseTo(Math.sqrt(((220 - mean) ** 2 + (10 - mean) ** 2 + (70 - mean) ** 2) / 2), 12);
    // After the reset (220 -> 10) the per-step rate counts the 10 as the increase.
    const g = new TemporalFeatures({ counter: true });
    const r = new Float64Array(g.size);
    g.update(T0, 220, r);
    g.update(T0 + 10_000, 10, r);
    expect(r[5]).toBeCloseTo(1, 12);
  });

  it('does not difference across a gap, ignores NaN and stale samples without changing state', () => {
    const f = new TemporalFeatures();
    const row = new Float64Array(f.size);
    for (let i = 0; i < 10; i++) {
      f.update(T0 + i * MIN, i, row);
    }
    expect(f.update(T0 + 10 * MIN, NaN, row)).toBe(false);
    expect(row[3]).toBeNaN();
    expect(row[0]).toBeCloseTo(Math.sin((2 * Math.PI * (10 / 60)) / 24), 12); // time features still there
    expect(f.update(T0 + 5 * MIN, 3, row)).toBe(false);
    expect(f.update(T0 + 10 * MIN, 10, row)).toBe(true);
    expect(row[4]).toBe(1);
    // 30 minutes of silence: a gap, so no diff or rate across it.
    expect(f.update(T0 + 40 * MIN, 50, row)).toBe(true);
    expect(row[4]).toBeNaN();
    expect(row[5]).toBeNaN();
    // The 5-minute window only holds the new sample.
    expect(row[6]).toBe(50);
    expect(f.update(T0 + 41 * MIN, 52, row)).toBe(true);
    expect(row[4]).toBe(2);
  });

  it('round-trips its state', () => {
    const a = new TemporalFeatures({ counter: true });
    const ra = new Float64Array(a.size);
    const rb = new Float64Array(a.size);
    for (let i = 0; i < 50; i++) {
      a.update(T0 + i * MIN, i * 3, ra);
    }
    const b = TemporalFeatures.fromState(JSON.parse(JSON.stringify(a.toState())));
    for (let i = 50; i < 80; i++) {
      a.update(T0 + i * MIN, i * 3 + (i % 7), ra);
      b.update(T0 + i * MIN, i * 3 + (i % 7), rb);
      expect(Array.from(rb)).toEqual(Array.from(ra));
    }
    expect(b.windowRate(1)).toBeCloseTo(a.windowRate(1), 12);
  });

  it('resumes from a state not yet written as JSON (NaN kept), and refuses a corrupt one naming the field', () => {
    const a = new TemporalFeatures();
    const row = new Float64Array(a.size);
    a.update(T0, 5, row);
    const state = a.toState();
    expect(state.meanStep).toBeNaN();
    expect(TemporalFeatures.fromState(state).toState()).toEqual(state);
    expect(() => TemporalFeatures.fromState({ ...state, lastT: 'x' })).toThrow(/Corrupt feature state: .*lastT/);
    expect(() => TemporalFeatures.fromState({ ...state, windows: [{ head: 0, count: 1, t: [1], v: [] }] })).toThrow(
      /Corrupt feature state: .*cum/
    );
  });
});
