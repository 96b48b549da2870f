import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIME_CATEGORIES, ARTIME_PROBATION_MS, ArtimeDetector, type ArtimeOptions, MAX_PROBATION } from './artime';
import { fromBase64, toBase64 } from './shared/bytes';
import { createDetector, restoreDetector, type DetectorState } from './index';
import { Random } from './random';

const STEP = 300_000;
const T0 = Date.UTC(2024, 0, 1);

/** A square-ish daily rhythm with noise; from `at`, the rhythm's shape changes (a new pattern). */
function series(n: number, at = Infinity, seed = 2): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: n }, (_, i) => {
    const phase = (i % 288) / 288;
    const shape = i >= at ? 50 + 40 * Math.sin(2 * Math.PI * phase * 7) : phase < 0.5 ? 20 : 80;
    return shape + 2 * (rng.next() - 0.5);
  });
}

function run(d: { update(t: number, v: number): number }, v: Float64Array): Float64Array {
  return Float64Array.from(v, (x, i) => d.update(T0 + i * STEP, x));
}

describe('artime', () => {
  it('scores nothing during its probation, then flags a pattern it has never seen', () => {
    const v = series(4000, 3000);
    const d = new ArtimeDetector({ trainingPoints: 750 }, { inputMin: 0, inputMax: 100 });
    const s = run(d, v);
    expect(Math.max(...s.subarray(0, 750))).toBe(0);
    expect(d.learning).toBe(false);
    // The probation-length down-sampling step (750 / (8 * 13) = 7): a score only every 7th sample.
    expect(Array.from(s).every((x, i) => x === 0 || (i + 1) % 7 === 0)).toBe(true);
    const before = Math.max(...s.subarray(2000, 3000));
    const after = Math.max(...s.subarray(3000, 3300));
    expect(after).toBeGreaterThan(0.5);
    expect(after).toBeGreaterThan(before);
  });

  it('without the range hint estimates the range from the probation and still flags the new pattern', () => {
    const s = run(createDetector('artime', { trainingPoints: 750 }), series(4000, 3000));
    expect(Math.max(...s.subarray(0, 750))).toBe(0);
    expect(Math.max(...s.subarray(3000, 3300))).toBeGreaterThan(0.5);
  });

  it('without the hint settles on the probation range widened by half its span, then clamps or re-normalises', () => {
    const v = series(2000);
    const lo = Math.min(...v.subarray(0, 750));
    const hi = Math.max(...v.subarray(0, 750));
    const clamped = createDetector('artime', { trainingPoints: 750 });
    const renormalised = new ArtimeDetector({ trainingPoints: 750, rangeRenormalise: true });
    const rangeOf = (d: { toState(): { [k: string]: unknown } }) => d.toState().range as { min: number; max: number };
    // The probation ends with its last full down-sampled window (the step is 7: 749 samples).
    run(clamped, v.subarray(0, 756));
    run(renormalised, v.subarray(0, 756));
    expect(rangeOf(clamped).min).toBeCloseTo(lo - 0.5 * (hi - lo), 9);
    expect(rangeOf(clamped).max).toBeCloseTo(hi + 0.5 * (hi - lo), 9);
    clamped.update(T0 + 756 * STEP, 1000);
    renormalised.update(T0 + 756 * STEP, 1000);
    expect(rangeOf(clamped).max).toBeCloseTo(hi + 0.5 * (hi - lo), 9);
    // The new edge is the value plus half the settled span (twice the probation's).
    expect(rangeOf(renormalised).max).toBeCloseTo(1000 + (hi - lo), 9);
  });

  it('without the hint flags a jump to ten times the range, clamped to the top level', () => {
    const v = series(4000);
    v.fill(800, 3000);
    const s = run(createDetector('artime', { trainingPoints: 750 }), v);
    expect(Math.max(...s.subarray(3000, 3100))).toBeGreaterThan(0.5);
  });

  it('with rangeRescale re-expresses what it learned when the range moves: after a spike the old pattern is still known', () => {
    // The daily square wave (about 19 to 81), a spike to 300 for 14 samples, then the wave again.
    const v = series(5000);
    v.fill(300, 2000, 2014);
    const follow = { trainingPoints: 750, rangeMargin: 0, rangeRenormalise: true };
    const scores = (d: ArtimeDetector) => run(d, v);
    const alarms = (s: Float64Array, from: number, to: number) => s.subarray(from, to).filter((x) => x > 0.3).length;
    const rescaled = scores(new ArtimeDetector({ ...follow, rangeRescale: true }));
    const hinted = scores(new ArtimeDetector({ trainingPoints: 750 }, { inputMin: 19, inputMax: 300 }));
    const moved = scores(new ArtimeDetector(follow));
    for (const s of [rescaled, hinted, moved]) {
      expect(Math.max(...s.subarray(2000, 2100))).toBeGreaterThan(0.9);
    }
    // Like the detector told the file's range: nothing after the spike. The range moved under
    // categories left in the old scale: the known wave comes back as new.
    expect(alarms(rescaled, 2100, 5000)).toBe(0);
    expect(alarms(hinted, 2100, 5000)).toBe(0);
    expect(alarms(moved, 2100, 5000)).toBeGreaterThan(0);
  });

  it('with rangeRescale round-trips its state after the range moved, and continues identically', () => {
    const v = series(3500);
    v.fill(300, 2000, 2014);
    const options = { trainingPoints: 750, rangeMargin: 0, rangeRenormalise: true, rangeRescale: true };
    for (const make of [(o: ArtimeOptions) => new ArtimeDetector(o), (o: ArtimeOptions) => ArtimeDetector.bounded(o)]) {
      const a = make(options);
      const b = make(options);
      run(a, v.subarray(0, 2500));
      run(b, v.subarray(0, 2500));
      const c = ArtimeDetector.fromState(JSON.parse(JSON.stringify(b.toState())));
      for (let i = 2500; i < v.length; i++) {
        expect(c.update(T0 + i * STEP, v[i])).toBe(a.update(T0 + i * STEP, v[i]));
      }
      // The spike after the restore moves the range again and is re-expressed the same way.
      expect(c.update(T0 + 3500 * STEP, 900)).toBe(a.update(T0 + 3500 * STEP, 900));
      expect(c.toState()).toEqual(a.toState());
    }
  });

  it('refuses a negative range margin', () => {
    expect(() => new ArtimeDetector({ rangeMargin: -1 })).toThrow(/rangeMargin must be a finite number >= 0/);
  });

  it('round-trips its state through JSON mid-probation and after, and continues identically', () => {
    const v = series(3500, 3000);
    for (const cut of [400, 2000]) {
      const a = createDetector('artime', { trainingPoints: 750 });
      const b = createDetector('artime', { trainingPoints: 750 });
      for (let i = 0; i < cut; i++) {
        a.update(T0 + i * STEP, v[i]);
        b.update(T0 + i * STEP, v[i]);
      }
      const c = restoreDetector(JSON.parse(JSON.stringify(b.toState())));
      for (let i = cut; i < v.length; i++) {
        expect(c.update(T0 + i * STEP, v[i])).toBe(a.update(T0 + i * STEP, v[i]));
      }
    }
  });

  it('refuses a corrupt state clearly', () => {
    const d = createDetector('artime', { trainingPoints: 750 });
    run(d, series(1000));
    const state = d.toState();
    const bytes = state.bytes as string;
    expect(() => restoreDetector({ ...state, bytes: bytes.slice(0, 40) })).toThrow(
      /Corrupt detector state: field "bytes" is too short/
    );
    const longer = toBase64(Uint8Array.from([...fromBase64(bytes), 0, 0, 0]));
    expect(() => restoreDetector({ ...state, bytes: longer })).toThrow(/field "bytes" is too long/);
    expect(() => restoreDetector({ ...state, bytes: '#' + bytes.slice(1) })).toThrow(/not base64/);
    expect(() => restoreDetector({ ...state, bytes: [1, 2] })).toThrow(/field "bytes" is not a base64 string/);
    expect(() => restoreDetector({ ...state, version: 2 })).toThrow(/state version 2, this build reads version 5/);
  });
});

describe('artime: a probation in time when the caller gives no trainingPoints', () => {
  /** Runs a fresh bounded ARTime (no trainingPoints) on `v` at `stepMs`. */
  const inTime = (v: Float64Array, stepMs: number): { d: ArtimeDetector; s: Float64Array } => {
    const d = ArtimeDetector.bounded();
    return { d, s: Float64Array.from(v, (x, i) => d.update(T0 + i * stepMs, x)) };
  };

  it("at NAB's 5-minute step is the default's 750 samples: the same scores, bit for bit", () => {
    const v = series(4000, 3000);
    const { d, s } = inTime(v, STEP);
    const bySamples = run(ArtimeDetector.bounded({ trainingPoints: 750 }), v);
    expect(ARTIME_PROBATION_MS).toBe(750 * STEP);
    expect(d.probationSamples).toBe(750);
    expect(Array.from(s)).toEqual(Array.from(bySamples));
    expect(Math.max(...s.subarray(3000, 3300))).toBeGreaterThan(0.5);
  });

  it('lasts 62.5 h at other steps, up to MAX_PROBATION samples, and knows its length at the second sample', () => {
    const cases: Array<[number, number]> = [
      [1_800_000, 124], // 125 samples at 30 min, made even
      [60_000, 3_750],
      [15_000, 15_000],
      [1_000, MAX_PROBATION], // 225,000 samples at 1 s: capped
      [30 * 86_400_000, 32], // a month between samples: the shortest probation
    ];
    for (const [stepMs, samples] of cases) {
      const d = ArtimeDetector.bounded();
      d.update(T0, 50);
      expect(d.probationSamples).toBe(0);
      d.update(T0 + stepMs, 51);
      expect(d.probationSamples).toBe(samples);
    }
    expect(MAX_PROBATION).toBe(15_000);
  });

  it('counts down the samples its probation still needs: 0 exactly when it has learned, and after a restore', () => {
    for (const stepMs of [STEP, 60_000]) {
      const d = ArtimeDetector.bounded();
      d.update(T0, 50);
      // One sample does not tell the step, so not the probation's length.
      expect(d.samplesToLearn).toBe(0);
      let left = NaN;
      for (let i = 1; d.learning; i++) {
        d.update(T0 + i * stepMs, 50 + Math.sin(i / 10));
        if (i > 1) {
          expect(d.samplesToLearn).toBe(d.learning ? left - 1 : 0);
        }
        left = d.samplesToLearn;
        if (i === 100) {
          expect(ArtimeDetector.fromState(JSON.parse(JSON.stringify(d.toState()))).samplesToLearn).toBe(left);
        }
      }
      expect(d.samplesToLearn).toBe(0);
      expect(d.probationSamples).toBeGreaterThan(0);
    }
  });

  it('buffers only the down-sampled values during the probation: at most 2 x 104 numbers whatever its length', () => {
    for (const stepMs of [1_800_000, 300_000, 60_000, 15_000, 1_000]) {
      const { d } = inTime(series(100), stepMs);
      expect(d.learning).toBe(true);
      // Down-sampling keeps the windows per probation at 8 x 13: a probation of 104 to 207 samples
      // (down-sampling step 1) holds the most.
      expect(d.bufferLength).toBeLessThanOrEqual(2 * 104);
      expect(d.bufferLength).toBeGreaterThanOrEqual(104);
      expect(d.categories).toBe(0);
    }
    const { d } = inTime(series(800), STEP);
    expect(d.learning).toBe(false);
    expect(d.bufferLength).toBe(0);
  });

  it('at 15 s learns for 62.5 h, not 3 h, and then flags a new pattern', () => {
    const v = series(20_000, 17_000);
    const { d, s } = inTime(v, 15_000);
    expect(Math.max(...s.subarray(0, 15_000))).toBe(0);
    expect(d.learning).toBe(false);
    expect(Math.max(...s.subarray(17_000, 20_000))).toBeGreaterThan(0.5);
  });

  it('round-trips its state before its length is known, mid-probation and after, and continues identically', () => {
    const v = series(1500, 1200);
    for (const cut of [0, 1, 2, 400, 1000]) {
      const a = ArtimeDetector.bounded();
      const b = ArtimeDetector.bounded();
      for (let i = 0; i < cut; i++) {
        a.update(T0 + i * STEP, v[i]);
        b.update(T0 + i * STEP, v[i]);
      }
      const state = JSON.parse(JSON.stringify(b.toState()));
      expect(state.probationMs).toBe(ARTIME_PROBATION_MS);
      const c = restoreDetector(state);
      for (let i = cut; i < v.length; i++) {
        expect(c.update(T0 + i * STEP, v[i])).toBe(a.update(T0 + i * STEP, v[i]));
      }
    }
  });

  it('refuses a state whose probation or counts do not add up', () => {
    const d = ArtimeDetector.bounded();
    run(d, series(300));
    const state = d.toState();
    expect(() => restoreDetector({ ...state, probationMs: -5 })).toThrow(/artime probationMs/);
    expect(() => restoreDetector({ ...state, probation: 0.5 })).toThrow(/artime probation/);
    // A probation of other samples implies another count of down-sampled values than the state holds.
    expect(() => restoreDetector({ ...state, probation: 300 })).toThrow(/artime sample counts/);
  });
});

describe('artime: a state saved by version 4 (before the probation in time)', () => {
  const saved = JSON.parse(
    readFileSync(join(__dirname, 'fixtures', 'artime-bounded-v4-probation.state.json'), 'utf8')
  ) as DetectorState;

  it('resumes mid-probation (its down-sampling window part-filled) exactly as the detector that never stopped', () => {
    // The fixture: artime-bounded, trainingPoints 750, after the first 403 samples of series(..., seed 2).
    expect(saved.version).toBe(4);
    const v = series(4000, 3000);
    const d = ArtimeDetector.bounded({ trainingPoints: 750 });
    for (let i = 0; i < 403; i++) {
      d.update(T0 + i * STEP, v[i]);
    }
    const r = restoreDetector(saved);
    let scored = 0;
    for (let i = 403; i < v.length; i++) {
      const score = d.update(T0 + i * STEP, v[i]);
      expect(r.update(T0 + i * STEP, v[i])).toBe(score);
      scored += score > 0 ? 1 : 0;
    }
    expect(scored).toBeGreaterThan(0);
  });
});

describe('artime-bounded', () => {
  it('holds at most ARTIME_CATEGORIES categories: its state stops growing and stays within 4 KiB', () => {
    // A long noisy series with a drifting shape keeps asking for new categories.
    const rng = new Random(5);
    const v = Float64Array.from(
      { length: 60_000 },
      (_, i) => 50 + 30 * Math.sin((2 * Math.PI * i) / (288 + (i >> 10))) + 10 * rng.next()
    );
    const bounded = createDetector('artime-bounded', { trainingPoints: 750 });
    const unbounded = createDetector('artime', { trainingPoints: 750 });
    const sizes: number[] = [];
    for (let i = 0; i < v.length; i++) {
      bounded.update(T0 + i * STEP, v[i]);
      unbounded.update(T0 + i * STEP, v[i]);
      if ((i + 1) % 10_000 === 0) {
        sizes.push(JSON.stringify(bounded.toState()).length);
      }
    }
    // Full from early on (the unbounded ART holds several times as many), then a fixed size but for
    // the packed numbers (a count takes a byte more as it grows, a double 4 bytes when a float holds it).
    const categoriesOf = (d: { toState(): DetectorState }): number =>
      (restoreDetector(d.toState()) as ArtimeDetector).categories;
    expect(categoriesOf(bounded)).toBe(ARTIME_CATEGORIES);
    expect(categoriesOf(unbounded)).toBeGreaterThan(3 * ARTIME_CATEGORIES);
    expect(Math.max(...sizes.slice(1)) - Math.min(...sizes.slice(1))).toBeLessThanOrEqual(64);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    expect(JSON.stringify(unbounded.toState()).length).toBeGreaterThan(4096);
  });

  it('still flags a pattern it has never seen and a jump to ten times the range', () => {
    const s = run(createDetector('artime-bounded', { trainingPoints: 750 }), series(4000, 3000));
    expect(Math.max(...s.subarray(0, 750))).toBe(0);
    expect(Math.max(...s.subarray(3000, 3300))).toBeGreaterThan(0.5);
    const v = series(4000);
    v.fill(800, 3000);
    const j = run(createDetector('artime-bounded', { trainingPoints: 750 }), v);
    expect(Math.max(...j.subarray(3000, 3100))).toBeGreaterThan(0.5);
  });

  it('round-trips its state through JSON mid-probation and after merges, and continues identically', () => {
    const v = series(6000, 3000, 9);
    for (const cut of [400, 2000, 4500]) {
      const a = ArtimeDetector.bounded({ trainingPoints: 750, maxCategories: 8 });
      const b = ArtimeDetector.bounded({ trainingPoints: 750, maxCategories: 8 });
      run(a, v.subarray(0, cut));
      run(b, v.subarray(0, cut));
      const state = JSON.parse(JSON.stringify(b.toState()));
      expect(state.name).toBe('artime-bounded');
      const c = restoreDetector(state);
      for (let i = cut; i < v.length; i++) {
        expect(c.update(T0 + i * STEP, v[i])).toBe(a.update(T0 + i * STEP, v[i]));
      }
    }
  });

  it('refuses a bound it cannot hold and a state with more categories than its bound', () => {
    expect(() => ArtimeDetector.bounded({ maxCategories: 1 })).toThrow(
      /maxCategories must be an integer from 2 to 4096/
    );
    const d = createDetector('artime-bounded', { trainingPoints: 750 });
    run(d, series(3000));
    expect(() => restoreDetector({ ...d.toState(), capacity: 4 })).toThrow(/artime category count/);
  });
});
