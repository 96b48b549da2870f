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
    expect(clock.pending).toBe(1);
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
