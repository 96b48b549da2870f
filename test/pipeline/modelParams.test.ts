import { sampledQuerier } from '../harness/spikingFleet';
import { buildPipeline, HOUR, MINUTE, TestClock } from './helpers';

// A model version records how it was trained: the forecaster it names must be the one that runs
// (the crossing forecaster, for signals with a limit; a day ahead by default), not the Holt-Winters one earlier builds ran.
const T0 = Date.UTC(2025, 0, 6);
const querier = sampledQuerier([{ labels: { job: 'j1' }, value: (t) => 40 + 5 * Math.sin(t / (9 * MINUTE)) }]);
const watch = { queries: { disk: 'disk' }, target: ['job'], step: '1m', history: '2h', lag: 0, detector: 'zscore' };

async function recordedForecaster(extra: Record<string, unknown>, name: string) {
  const clock = new TestClock(T0 + 2 * HOUR);
  const h = buildPipeline({ watches: [{ name, ...watch, ...extra }] }, clock, {
    extra: { querierFor: () => querier },
  });
  try {
    await h.pipeline.runOnce();
    await h.pipeline.retrain({}, 'on_demand');
    return (await h.pipeline.models({ limit: 10 })).map((m) => [m.reason, m.params.forecaster]);
  } finally {
    await h.close(true);
  }
}

describe('the forecaster a model version records', () => {
  it('is the crossing forecaster, with its horizon and limits, for a watch with limits', async () => {
    const forecaster = { method: 'crossing', horizonSteps: 1440, limits: { disk: 90 } };
    expect(await recordedForecaster({ limits: { disk: 90 } }, 'limited')).toEqual([
      ['on_demand', forecaster],
      ['initial', forecaster],
    ]);
  });

  it('is none for a watch without limits: no forecaster runs', async () => {
    expect(await recordedForecaster({}, 'unlimited')).toEqual([
      ['on_demand', null],
      ['initial', null],
    ]);
  });
});
