import { FAR_LIMIT, noForecastText, targetSchema } from '../../contract/pipeline';
import type { SignalSpec, TargetSettings } from './targetModel';
import { jobTarget, testSettings } from './testTargets';
import { toTarget } from './views';

// A limit in the wrong unit never forecasts a crossing: the target says why, with the numbers.

const STEP = 300_000;
const settings: TargetSettings = testSettings({ stepMs: STEP, probation: 24, horizonSteps: 288 });
/** A flat series with a wobble of ±2% of its level, sampled every 5 minutes. */
const flat = (level: number) => (i: number) => level * (1 + 0.02 * Math.sin(i / 3));

/** A target of the given signals, stepped `steps` times (learned after 24), as the API lists it. */
function listed(signals: Array<{ spec: SignalSpec; value: (i: number) => number }>, steps = 40) {
  const model = jobTarget('a', settings, 0.99);
  for (const s of signals) {
    model.signalIndex(s.spec);
  }
  for (let i = 0; i < steps; i++) {
    model.step(
      i * STEP,
      signals.map((s) => s.value(i))
    );
  }
  const target = targetSchema.parse(toTarget(model, { isDegraded: false }));
  return { target, text: noForecastText(target) };
}

const memory = (limits: SignalSpec['limits']): SignalSpec => ({ name: 'memory', kind: 'memory', limits });

describe('a limit far beyond every value seen', () => {
  it('is the reason a ratio series with a limit in percent has no time to failure, with its numbers', () => {
    const { target, text } = listed([{ spec: memory({ above: 90 }), value: flat(0.5) }]);
    expect(target.timeToFailure).toBeNull();
    expect(target.noForecast).toBe(FAR_LIMIT);
    expect(target.farLimit).toMatchObject({ signal: 'memory', limit: 90, direction: 'above' });
    expect(target.farLimit!.seen).toBeGreaterThan(0.5);
    expect(target.farLimit!.seen).toBeLessThanOrEqual(0.51);
    expect(text).toBe(
      `memory: limit 90 is far above every value seen (max ${target.farLimit!.seen.toPrecision(3)}): check its unit`
    );
  });

  it('is the reason a percent series with a limit below written as a ratio has none', () => {
    const availability: SignalSpec = { name: 'availability', kind: 'other', limits: { below: 0.9 } };
    const { target, text } = listed([{ spec: availability, value: flat(99.5) }]);
    expect(target.noForecast).toBe(FAR_LIMIT);
    expect(target.farLimit).toMatchObject({ signal: 'availability', limit: 0.9, direction: 'below' });
    expect(text).toMatch(/^availability: limit 0\.9 is far below every value seen \(min 9\d\.\d\): check its unit$/);
  });

  it('is said over another signal’s reason, which would hide it', () => {
    const cpu: SignalSpec = { name: 'cpu', kind: 'cpu', limits: { above: 0.9 } };
    const { target } = listed([
      { spec: cpu, value: flat(0.3) },
      { spec: memory({ above: 95 }), value: flat(0.5) },
    ]);
    expect(target.noForecast).toBe(FAR_LIMIT);
    expect(target.farLimit).toMatchObject({ signal: 'memory', limit: 95 });
  });

  it('is not the reason for a distant limit of the same unit: a disk 5% used against 90%', () => {
    const disk: SignalSpec = { name: 'disk', kind: 'disk', limits: { above: 90 } };
    const { target, text } = listed([{ spec: disk, value: flat(5) }]);
    expect(target.timeToFailure).toBeNull();
    // What the forecaster says of a flat series: no trend.
    expect(target.noForecast).toBe('no significant trend');
    expect(target.farLimit).toBeUndefined();
    expect(text).toBe(target.noForecast);
  });

  it('waits for the learning period, as every reason does', () => {
    const { target } = listed([{ spec: memory({ above: 90 }), value: flat(0.5) }], 10);
    expect(target.noForecast).toBe('learning');
    expect(target.farLimit).toBeUndefined();
  });
});
