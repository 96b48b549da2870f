import { StreamingForecaster } from './holtWinters';

/** A noisy ramp on a 1-minute grid, the same every run. */
function ramp(n: number): StreamingForecaster {
  const f = new StreamingForecaster({ stepMs: 60_000, seasonMs: 0 });
  for (let i = 0; i < n; i++) {
    f.update(i * 60_000, 10 + 0.05 * i + (0.1 * ((i * 7919) % 13)) / 13);
  }
  return f;
}

describe('StreamingForecaster', () => {
  it("draws the same range as its time to limit: the earliest crossing is where the range's edge first reaches the limit", () => {
    const f = ramp(600);
    const ttf = f.timeToLimit(50, 'above');
    expect(Number.isFinite(ttf.upperSeconds)).toBe(true);
    const horizons = Array.from({ length: 2016 }, (_, k) => k + 1);
    const spreads = f.spreads(horizons);
    const earliest = horizons.find((h, k) => f.forecast(h) + spreads[k] >= 50);
    expect(earliest! * 60).toBe(ttf.lowerSeconds);
    const latest = horizons.find((h, k) => f.forecast(h) - spreads[k] >= 50);
    expect(latest! * 60).toBe(ttf.upperSeconds);
    // The range widens with the horizon and asks for any increasing horizons, not only each step.
    expect(spreads[0]).toBeGreaterThan(0);
    expect(spreads[100]).toBeGreaterThan(spreads[10]);
    expect(f.spreads([11, 101])).toEqual([spreads[10], spreads[100]]);
  });

  it('resumes from its JSON state and continues identically', () => {
    const a = ramp(300);
    const b = StreamingForecaster.fromState(JSON.parse(JSON.stringify(a.toState())));
    for (const f of [a, b]) {
      f.update(300 * 60_000, 30);
    }
    expect(b.toState()).toEqual(a.toState());
    expect(b.timeToLimit(60, 'above')).toEqual(a.timeToLimit(60, 'above'));
  });

  it('resumes before its step is learned (a NaN step stored as null)', () => {
    const a = new StreamingForecaster();
    a.update(0, 1);
    const b = StreamingForecaster.fromState(JSON.parse(JSON.stringify(a.toState())));
    expect(b.toState()).toEqual(a.toState());
  });

  it('refuses a state that is not its snapshot', () => {
    const state = ramp(50).toState();
    for (const bad of [null, { ...state, version: 2 }, { ...state, scalars: [1, 2] }, { ...state, options: {} }]) {
      expect(() => StreamingForecaster.fromState(bad)).toThrow(
        'Cannot restore a forecaster from this state: not a failureprophet.forecaster version 1 snapshot'
      );
    }
  });
});
