import { Registry } from 'prom-client';
import { FORECAST_STALE_STEPS } from '../../contract/pipeline';
import { gatherChanges, publishTargetMetrics } from './checkpoint';
import { PipelineMetrics } from './metrics';
import { type TargetSettings } from './targetModel';
import { jobTarget, testSettings } from './testTargets';
import { predictionOf, toTarget } from './views';

// How a target's time to failure reaches the API and /metrics: its reasons, its lapse, its words.

const STEP = 300_000;
const HOUR = 3_600_000;
const settings: TargetSettings = testSettings({ stepMs: STEP, probation: 24, horizonSteps: 288 });
/** A memory ratio rising 10% an hour from 16%: after 40 steps, about 1.1 h from a limit of 0.6. */
const leak = (i: number) => 0.16 + (0.1 * i * STEP) / HOUR;

/** A target whose memory (limit above 0.6) leaked for 40 steps, with a latency signal beside it when `latency`. */
function leaking(latency = false) {
  const model = jobTarget('a', settings, 0.99);
  model.signalIndex({ name: 'memory', kind: 'memory', limits: { above: 0.6 } });
  if (latency) {
    model.signalIndex({ name: 'latency', kind: 'latency' });
  }
  for (let i = 0; i < 40; i++) {
    model.step(i * STEP, latency ? [leak(i), 0.2] : [leak(i)]);
  }
  expect(model.ttf).toMatchObject({ signal: 'memory', fromMs: 39 * STEP, stepMs: STEP });
  return model;
}

describe('a time to failure without samples', () => {
  it('is kept while its signal misses a few steps, then dropped as out of date', () => {
    const model = leaking();
    const made = model.ttf;
    // zscore does not score gaps: these steps score nothing, yet they count against the forecast.
    for (let i = 40; i < 40 + FORECAST_STALE_STEPS; i++) {
      model.step(i * STEP, [NaN]);
    }
    expect(model.ttf).toBe(made);
    expect(model.takeLapsed()).toBe(false);
    model.step((40 + FORECAST_STALE_STEPS) * STEP, [NaN]);
    expect(model.ttf).toBeNull();
    expect(model.noForecast).toBe('no recent sample');
    expect(model.takeLapsed()).toBe(true);
    expect(model.takeLapsed()).toBe(false);
  });

  it('is dropped at once when its target left service discovery', () => {
    const model = leaking();
    model.step(40 * STEP, [NaN], undefined, 'removed');
    expect(model.ttf).toBeNull();
    expect(model.noForecast).toBe('no recent sample');
  });

  it('stays the target’s while another signal is sampled and the limited one misses a step', () => {
    const model = leaking(true);
    const made = model.ttf;
    model.step(40 * STEP, [NaN, 0.2]);
    expect(model.ttf).toBe(made);
    // Not made again at a step without its sample: no prediction recorded for it.
    model.takeChanges();
    model.step(41 * STEP, [NaN, 0.2]);
    expect(model.takeChanges().predictions).toEqual([]);
  });

  it('drops its gauge when it lapses on a target no step scored, and counts down a kept one', async () => {
    const registry = new Registry();
    const metrics = new PipelineMetrics(registry);
    const gauge = async () =>
      (await registry.getSingleMetric('failureprophet_time_to_failure_seconds')!.get()).values.map((v) => v.value);
    const model = leaking(true);
    publishTargetMetrics(metrics, 'w', [model], []);
    const seconds = model.ttf!.seconds;
    expect(await gauge()).toEqual([seconds]);

    // Memory missed two steps: the gauge says the time left at the last step, not at the forecast.
    model.step(40 * STEP, [NaN, 0.2]);
    model.step(41 * STEP, [NaN, 0.2]);
    publishTargetMetrics(metrics, 'w', [model], []);
    expect(await gauge()).toEqual([seconds - (2 * STEP) / 1000]);

    // Then the whole target stops: its steps score nothing (it is not among the touched).
    for (let i = 42; i <= 40 + FORECAST_STALE_STEPS; i++) {
      model.step(i * STEP, [NaN, NaN]);
    }
    const changes = gatherChanges([], [model], 0);
    expect(changes.lapsed).toEqual([model]);
    publishTargetMetrics(metrics, 'w', [], changes.forgotten, changes.lapsed);
    expect(await gauge()).toEqual([]);
  });
});

describe('why a target has no time to failure', () => {
  it('says no limit, learning, or what the forecaster said; nothing once there is one', () => {
    const plain = jobTarget('p', settings, 0.99);
    plain.signalIndex({ name: 'latency', kind: 'latency' });
    plain.step(0, [1]);
    expect(plain.noForecast).toBe('no limit');

    const flat = jobTarget('f', settings, 0.99);
    flat.signalIndex({ name: 'memory', kind: 'memory', limits: { above: 0.6 } });
    flat.step(0, [0.3]);
    expect(flat.noForecast).toBe('learning');
    for (let i = 1; i < 40; i++) {
      flat.step(i * STEP, [0.3 + 0.001 * Math.sin(i)]);
    }
    expect(flat.ttf).toBeNull();
    expect(['too little history', 'no significant trend']).toContain(flat.noForecast);

    expect(leaking().noForecast).toBeUndefined();
  });
});

describe('a limit already crossed', () => {
  it('is worded as crossed, not as a crossing in 0 min', () => {
    // `limits: {disk_free: 0.1}` means above: a free-space ratio of 0.5 is over it from the start.
    const model = jobTarget('d', settings, 0.99);
    model.signalIndex({ name: 'disk_free', kind: 'disk', limits: { above: 0.1 } });
    for (let i = 0; i < 40; i++) {
      model.step(i * STEP, [0.5 - 0.001 * i]);
    }
    expect(model.ttf).toMatchObject({ seconds: 0 });
    // The signal is named by how it departed (its countdown is the target's); "crossed" is in the reasons.
    expect(model.open?.signals).toContain('disk_free (limit forecast)');
    expect(model.open?.reasons).toContain('limit already reached, or about to be');
    expect(model.open?.reasons.join(' ')).not.toMatch(/in 0 min/);
  });
});

describe('the API', () => {
  it('lists why a target has no time to failure, and /predict counts a kept forecast down', () => {
    const model = jobTarget('n', settings, 0.99);
    model.signalIndex({ name: 'memory', kind: 'memory', limits: { above: 0.6 } });
    model.step(0, [0.2]);
    expect(toTarget(model, { isDegraded: false })).toMatchObject({ timeToFailure: null, noForecast: 'learning' });

    const leaked = leaking();
    expect(toTarget(leaked, { isDegraded: false })).not.toHaveProperty('noForecast');
    const made = leaked.ttf!;
    expect(predictionOf(leaked).timeToFailureSeconds).toBe(made.seconds);
    leaked.step(40 * STEP, [NaN]);
    leaked.step(41 * STEP, [NaN]);
    // Made at step 39 and kept through two missed steps: two steps less are left.
    expect(leaked.ttf).toBe(made);
    expect(predictionOf(leaked).timeToFailureSeconds).toBeCloseTo(made.seconds - (2 * STEP) / 1000, 6);
  });
});
