import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { buildPipeline, MINUTE, TestClock } from './helpers';

const NOW = Date.UTC(2025, 3, 7, 12);

const querier: RangeQuerier = {
  queryRange: async (q) => {
    const n = (q.end - q.start) / q.stepMs + 1;
    const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
    return [{ labels: { job: 'a' }, timestamps, values: timestamps.map((t) => 10 + Math.sin(t / MINUTE)) }];
  },
};

/** Lets the cycle a timer started finish (its queries and store writes are promises, not time). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it("the running loop steps on the clock it is given: each tick is that clock's timer, and stop cancels it", async () => {
  const clock = new TestClock(NOW);
  const h = buildPipeline(
    { watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '1h', lag: 0 }] },
    clock,
    { extra: { querierFor: () => querier } }
  );
  try {
    const processed = () => h.pipeline.watches()[0].lastProcessedAt;
    h.pipeline.start();
    await settle();
    expect(processed()).toBe(NOW);
    // The next tick, and the next scheduled retraining.
    expect(clock.pending).toBe(2);
    // Ticks come every 15 s of the clock; the watch's next step is due a minute on.
    for (let i = 1; i <= 3; i++) {
      clock.advance(15_000);
      await settle();
      expect(processed()).toBe(NOW);
    }
    clock.advance(15_000);
    await settle();
    expect(processed()).toBe(NOW + MINUTE);
    expect(h.pipeline.watches()[0].lastCycleAt).toBe(NOW + MINUTE);
  } finally {
    await h.close(true);
  }
  expect(clock.pending).toBe(0);
});

/** A pipeline retraining at half past each hour, and the times (by its clock) each retraining ran. */
function retrainingOnCron(leads?: () => boolean) {
  const clock = new TestClock(NOW);
  const h = buildPipeline(
    {
      watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '1h', lag: 0 }],
      pipeline: { retrain: '30 * * * *' },
    },
    clock,
    { extra: { querierFor: () => querier, ...(leads ? { leads } : {}) } }
  );
  const runs: number[] = [];
  const retrain = h.pipeline.retrain.bind(h.pipeline);
  jest.spyOn(h.pipeline, 'retrain').mockImplementation(async (body, reason) => {
    runs.push(clock.now());
    return retrain(body, reason);
  });
  return { clock, h, runs };
}

it('retrains on the cron by the clock it is given, one run after another, and stop cancels the next', async () => {
  const { clock, h, runs } = retrainingOnCron();
  try {
    h.pipeline.start();
    await settle();
    expect(runs).toEqual([]);
    for (let i = 0; i < 8; i++) {
      clock.advance(15 * MINUTE);
      await settle();
    }
    // Every hour at half past (12:30, 13:30), by the clock, not by the machine's time.
    expect(runs).toEqual([NOW + 30 * MINUTE, NOW + 90 * MINUTE]);
  } finally {
    await h.close(true);
  }
  expect(clock.pending).toBe(0);
});

// Replicas share the models: scheduled retraining is the leader's alone.
it('retrains on the cron only while this replica leads, and keeps the schedule while it follows', async () => {
  let leading = false;
  const { clock, h, runs } = retrainingOnCron(() => leading);
  try {
    h.pipeline.start();
    await settle();
    // 12:30 and 13:30 come while another replica leads.
    for (let i = 0; i < 8; i++) {
      clock.advance(15 * MINUTE);
      await settle();
    }
    expect(runs).toEqual([]);
    // This replica takes the lead at 14:00: the 14:30 run is its own.
    leading = true;
    for (let i = 0; i < 4; i++) {
      clock.advance(15 * MINUTE);
      await settle();
    }
    expect(runs).toEqual([NOW + 150 * MINUTE]);
  } finally {
    await h.close(true);
  }
  expect(clock.pending).toBe(0);
});

it("times a cycle and its phases on the clock it is given: the API's cycle seconds and the phase counters", async () => {
  const clock = new TestClock(NOW);
  // Each answer takes 2 s of the pipeline's clock (none of the machine's).
  let answers = 0;
  const slowQuerier: RangeQuerier = {
    queryRange: async (q) => {
      answers++;
      clock.ms += 2000;
      return querier.queryRange(q);
    },
  };
  const h = buildPipeline(
    { watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '1h', lag: 0 }] },
    clock,
    { extra: { querierFor: () => slowQuerier } }
  );
  try {
    await h.pipeline.runOnce();
    const phase = async (name: string) =>
      (await h.metrics.getSingleMetricAsString('failureprophet_cycle_phase_seconds_total'))
        .split('\n')
        .find((line) => line.startsWith(`failureprophet_cycle_phase_seconds_total{watch="w",phase="${name}"}`));
    // Every second of the cycle was spent in answers, and counted as the query phase's.
    expect(answers).toBeGreaterThan(0);
    expect(h.pipeline.watches()[0].lastCycleSeconds).toBe(2 * answers);
    expect(await phase('query')).toMatch(new RegExp(` ${2 * answers}$`));
    expect(await phase('align')).toMatch(/ 0$/);
    expect(await phase('score')).toMatch(/ 0$/);
  } finally {
    await h.close(true);
  }
});
