import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../random';
import { CrossingForecaster } from './crossing';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 300_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function gauss(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** A leak of 0.2 a day from day 2 over a daily rhythm of +/-0.02, without noise. */
const level = (t: number): number =>
  0.3 + (t > 2 * DAY ? (0.2 * (t - 2 * DAY)) / DAY : 0) + 0.02 * Math.sin(2 * Math.PI * (t / DAY - 0.3));

/** When the level first reaches `limit` (ms from the start). */
function levelCrossing(limit: number): number {
  let t = 0;
  while (level(t) < limit) {
    t += 60_000;
  }
  return t;
}

describe('CrossingForecaster: the path of a steady leak under a daily rhythm', () => {
  it('finds the level crossing an hour ahead within 15% (median of 5 series), though each sample is noisy', () => {
    const crossAt = levelCrossing(0.9);
    const errors: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Random(seed);
      const f = new CrossingForecaster();
      // Cut an hour (plus a seed-dependent few minutes) before the level crosses.
      const cut = Math.floor((crossAt - HOUR - seed * 2 * 60_000) / STEP) * STEP;
      for (let t = 0; t <= cut; t += STEP) {
        f.update(T0 + t, level(t) + 0.01 * gauss(rng));
      }
      const ttf = f.crossing(0.9, 'above', 0.95);
      if (typeof ttf === 'string') {
        throw new Error(`seed ${seed}: expected a crossing, got "${ttf}"`);
      }
      const truth = (crossAt - cut) / 1000;
      errors.push(Math.abs(ttf.seconds - truth) / truth);
      expect(ttf.lowerSeconds).toBeLessThanOrEqual(truth);
      expect(ttf.upperSeconds).toBeGreaterThanOrEqual(truth);
    }
    errors.sort((a, b) => a - b);
    expect(errors[2]).toBeLessThan(0.15);
  });

  it('does not take one noisy sample over the limit for the level at it', () => {
    const rng = new Random(7);
    const f = new CrossingForecaster();
    // Stopped 40 min before the level reaches 0.9, on a new bucket's first sample, a spike to 0.905.
    const cut = Math.floor((levelCrossing(0.9) - 40 * 60_000) / (30 * 60_000)) * 30 * 60_000;
    for (let t = 0; t < cut; t += STEP) {
      f.update(T0 + t, level(t) + 0.005 * gauss(rng));
    }
    f.update(T0 + cut, 0.905);
    const ttf = f.crossing(0.9, 'above');
    if (typeof ttf === 'string') {
      throw new Error(`expected a crossing, got "${ttf}"`);
    }
    expect(ttf.seconds).toBeGreaterThan(0);
  });
});

describe('CrossingForecaster: the interval of a leak that speeds up', () => {
  /** A quadratic leak of 0.07 a day² from day 2 over a daily rhythm of +/-0.02, restarted at 0.97. */
  const A = 0.07;
  const restart = 2 * DAY + Math.sqrt(0.67 / A) * DAY;
  const bent = (t: number): number =>
    0.3 +
    A * Math.max(0, (t - (t < restart ? 2 * DAY : restart)) / DAY) ** 2 +
    0.02 * Math.sin(2 * Math.PI * (t / DAY - 0.3));

  it('reaches back to the crossing its bend since the restart brings (95% interval, hourly cuts 6-40 h ahead)', () => {
    let crossAt = restart;
    while (bent(crossAt) < 0.9) {
      crossAt += 60_000;
    }
    let inside = 0;
    let asked = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const rng = new Random(seed);
      const f = new CrossingForecaster({ horizonMs: 2 * DAY });
      let t = 0;
      for (let ahead = 40; ahead >= 6; ahead--) {
        const cut = Math.floor((crossAt - ahead * HOUR) / STEP) * STEP;
        for (; t <= cut; t += STEP) {
          f.update(T0 + t, bent(t) + 0.01 * gauss(rng));
        }
        const ttf = f.crossing(0.9, 'above', 0.95);
        const truth = (crossAt - cut) / 1000;
        asked++;
        if (typeof ttf !== 'string' && ttf.lowerSeconds <= truth && truth <= ttf.upperSeconds) {
          inside++;
        }
      }
    }
    // A line (or yesterday's shape plus a steady drift) through the bend put the early edge after
    // the crossing at 44% of these cut points; no answer counts as a miss.
    expect(inside / asked).toBeGreaterThanOrEqual(0.7);
  });
});

describe('CrossingForecaster: a history read once for a sealed bucket and the crossing asked after it', () => {
  it('answers in a fleet fed in turns as each forecaster alone, read afresh at every question, does', () => {
    const rng = new Random(16);
    const answers = (g: CrossingForecaster) => [g.crossing(0.9, 'above'), g.crossing(0.1, 'below', 0.8)];
    let trends = 0;
    for (let run = 0; run < 4; run++) {
      // Steps of 5 min fill a bucket in 6 (most steps seal none), steps of 30 min seal one each.
      const step = run % 2 === 0 ? STEP : 6 * STEP;
      const steps = Math.floor((3 * DAY) / step);
      // Rising and falling leaks, cleaned up on day 2; the samples and questions drawn first, so the
      // fleet and each forecaster alone see the same: asked right after its own sample (1), after
      // the whole fleet's (2), or not (0).
      const members = Array.from({ length: 1 + (run % 3) }, (_, k) => {
        const leak = (k % 2 === 0 ? 1 : -1) * (0.2 + 0.2 * rng.next());
        const noise = 0.002 + 0.02 * rng.next();
        return {
          samples: Array.from({ length: steps }, (_, i) => {
            const t = i * step;
            const rhythm = 0.02 * Math.sin((2 * Math.PI * t) / DAY);
            return 0.5 + (leak * t) / DAY + (t >= 2 * DAY ? -0.1 : 0) + rhythm + noise * gauss(rng);
          }),
          asks: Array.from({ length: steps }, (_, i) => (i * step < 6 * HOUR ? 0 : Math.floor(rng.next() * 3))),
        };
      });
      const fleet = members.map(() => new CrossingForecaster({ horizonMs: 2 * DAY }));
      const got = members.map((): unknown[] => []);
      for (let i = 0; i < steps; i++) {
        fleet.forEach((f, k) => {
          f.update(T0 + i * step, members[k].samples[i]);
          if (members[k].asks[i] === 1) {
            got[k].push(answers(f));
          }
        });
        fleet.forEach((f, k) => members[k].asks[i] === 2 && got[k].push(answers(f)));
      }
      members.forEach(({ samples, asks }, k) => {
        const alone = new CrossingForecaster({ horizonMs: 2 * DAY });
        const expected: unknown[] = [];
        for (let i = 0; i < steps; i++) {
          alone.update(T0 + i * step, samples[i]);
          if (asks[i] > 0) {
            expected.push(answers(CrossingForecaster.fromState(alone.toState())));
          }
        }
        expect(got[k]).toEqual(expected);
        trends += expected.flat().filter((a) => typeof a !== 'string').length;
      });
    }
    // Crossings were predicted, not only reasons given.
    expect(trends).toBeGreaterThan(300);
  });
});

describe('CrossingForecaster: the scratch every forecaster writes its reading into', () => {
  it('answers in a fleet as forecasters of a module copy of their own, each fed alone, do', () => {
    // The module's shared scratch (series, resets, drifts, the negated history) is read by whichever
    // forecaster was read last: a copy of the module, fed one forecaster at a time, has its own.
    let Alone: typeof CrossingForecaster = CrossingForecaster;
    jest.isolateModules(() => {
      Alone = (jest.requireActual('./crossing') as { CrossingForecaster: typeof CrossingForecaster })
        .CrossingForecaster;
    });
    expect(Alone).not.toBe(CrossingForecaster);
    const rng = new Random(24);
    // Rising and falling leaks, one cleaned up, one with gaps, of different lengths; asked both ways.
    const members = Array.from({ length: 4 }, (_, k) => {
      const leak = (k % 2 === 0 ? 1 : -1) * (0.1 + 0.2 * rng.next());
      return Array.from({ length: Math.floor(((2 + k) * DAY) / (6 * STEP)) }, (_, i) => {
        const t = i * 6 * STEP;
        const v = 0.5 + (leak * t) / DAY + (k === 2 && t > DAY ? -0.2 : 0) + 0.02 * Math.sin((2 * Math.PI * t) / DAY);
        return k === 3 && rng.next() < 0.1 ? NaN : v + 0.01 * gauss(rng);
      });
    });
    const answers = (g: CrossingForecaster, k: number) =>
      k % 2 === 0
        ? [g.crossing(0.9, 'above'), g.crossing(0.1, 'below', 0.8)]
        : [g.crossing(0.1, 'below'), g.crossing(0.9, 'above', 0.95)];
    const fleet = members.map(() => new CrossingForecaster({ horizonMs: 2 * DAY }));
    const got = members.map((): unknown[] => []);
    const longest = Math.max(...members.map((m) => m.length));
    for (let i = 0; i < longest; i++) {
      const fed = members.flatMap((m, k) => (i < m.length ? [k] : []));
      // Asked right after its own sample at even steps, after the whole fleet's at odd ones.
      for (const k of fed) {
        fleet[k].update(T0 + i * 6 * STEP, members[k][i]);
        if (i % 2 === 0) {
          got[k].push(answers(fleet[k], k));
        }
      }
      for (const k of i % 2 === 1 ? fed : []) {
        got[k].push(answers(fleet[k], k));
      }
    }
    members.forEach((samples, k) => {
      const alone = new Alone({ horizonMs: 2 * DAY });
      const expected = samples.map((v, i) => {
        alone.update(T0 + i * 6 * STEP, v);
        return answers(alone, k);
      });
      expect(got[k]).toEqual(expected);
      expect(fleet[k].toState()).toEqual(alone.toState());
      // Each leak's crossing is predicted, in its own direction: the first question asked.
      expect(expected.filter((a) => typeof a[0] !== 'string').length).toBeGreaterThan(10);
    });
  });
});

describe('CrossingForecaster: a state saved before its errors and its history were kept in float32 (fixtures/, 2e2a21d)', () => {
  /**
   * The state's history exactly (but what a full bucket holds, which that state did not count: none
   * until a bucket is sealed after it, when `counted` is false); its calibration as computed from
   * doubles: errors within 1e-4, pending forecasts within 1e-6 of theirs.
   */
  const expectSameState = (restored: CrossingForecaster, f: CrossingForecaster, counted: boolean): void => {
    const [a, b] = [restored.toState(), f.toState()];
    expect(a.history).toEqual(counted ? b.history : { ...b.history, fullCount: 0 });
    expect(a.calibration.errors.map((e) => e.length)).toEqual(b.calibration.errors.map((e) => e.length));
    a.calibration.errors.forEach((e, h) => e.forEach((x, k) => expect(x).toBeCloseTo(b.calibration.errors[h][k], 4)));
    expect(a.calibration.pending.flat(2)).toHaveLength(b.calibration.pending.flat(2).length);
    const pending = b.calibration.pending.flat(2);
    a.calibration.pending
      .flat(2)
      .forEach((x, i) => expect(Math.abs(x - pending[i])).toBeLessThanOrEqual(1e-6 * Math.abs(x)));
  };

  it('restores, holds what this build holds after the same samples, and answers as it does', () => {
    const saved: unknown = JSON.parse(
      readFileSync(join(__dirname, '..', 'fixtures', 'crossing-v2.state.json'), 'utf8')
    );
    // The samples it was saved after: 3 days of a leak at 10-minute steps.
    const rng = new Random(25);
    const sample = (i: number): number => 0.3 + (0.1 * i) / 144 + 0.01 * (rng.next() - 0.5);
    const f = new CrossingForecaster();
    for (let i = 0; i < 3 * 144; i++) {
      f.update(T0 + i * 600_000, sample(i));
    }
    const restored = CrossingForecaster.fromState(saved);
    // Its means and errors were float64 then: its history reads back as this build keeps it, its
    // errors (computed from the doubles) within 1e-4 of the ones this build computed.
    expectSameState(restored, f, false);
    expect(f.calibrationCounts.slice(0, 4)).toEqual([120, 120, 120, 120]);
    let crossings = 0;
    for (let i = 3 * 144; i < 4 * 144; i++) {
      const v = sample(i);
      f.update(T0 + i * 600_000, v);
      restored.update(T0 + i * 600_000, v);
      const ttf = f.crossing(0.9, 'above', 0.95);
      expect(restored.crossing(0.9, 'above', 0.95)).toEqual(ttf);
      crossings += typeof ttf === 'string' ? 0 : 1;
    }
    expect(crossings).toBeGreaterThan(100);
    expectSameState(restored, f, true);
  });

  it('refuses a history whose shape is not the one its version holds', () => {
    const v2 = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'crossing-v2.state.json'), 'utf8')) as {
      version: number;
    };
    expect(() => CrossingForecaster.fromState({ ...v2, version: 3 })).toThrow(/history is malformed/);
    const v3 = CrossingForecaster.fromState(v2).toState();
    expect(() => CrossingForecaster.fromState({ ...v3, version: 2 })).toThrow(/history is malformed/);
    expect(CrossingForecaster.fromState(v3).toState()).toEqual(v3);
  });
});
