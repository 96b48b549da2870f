import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { buildPipeline, HOUR, MINUTE, TestClock } from './helpers';

const NOW = Date.UTC(2025, 3, 7, 12);
/** A day of history at 1-minute steps: the learning period is 15% of it; ARTime's probation, 62.5 h, is longer. */
const HISTORY_STEPS = 1440;

/** A daily rhythm with noise, and a value 10 times the range from `jumpAt` on. */
function querierOf(jumpAt: () => number): RangeQuerier {
  const value = (t: number) =>
    t >= jumpAt() ? 500 : 50 + 5 * Math.sin((2 * Math.PI * t) / (24 * HOUR)) + Math.sin(t / 437_000);
  return {
    queryRange: async (q) => {
      const n = Math.floor((q.end - q.start) / q.stepMs) + 1;
      const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
      return [{ labels: { job: 'api' }, timestamps, values: timestamps.map(value) }];
    },
  };
}

it("a target that has learned but whose detector still learns the series' shapes says for how long, opens an anomaly on a gross fault meanwhile, and is not recovered while the fault lasts", async () => {
  const clock = new TestClock(NOW);
  let jumpAt = Infinity;
  const h = buildPipeline(
    { watches: [{ name: 'api', queries: { latency: 'x' }, target: ['job'], step: '1m', history: '1d', lag: 0 }] },
    clock,
    { extra: { querierFor: () => querierOf(() => jumpAt) } }
  );
  try {
    await h.pipeline.runOnce();
    const [learned] = h.pipeline.targets();
    expect(learned.learning).toBe(false);
    expect(learned.learningSecondsLeft).toBe(0);
    // 62.5 h of 1-minute samples (3,750) less the day replayed: about 38.5 h of shapes still to learn.
    expect(learned.faultsOnlySecondsLeft).toBeGreaterThan((3_750 - HISTORY_STEPS - 20) * 60);
    expect(learned.faultsOnlySecondsLeft).toBeLessThanOrEqual((3_750 - HISTORY_STEPS) * 60);
    expect(learned.openAnomalies).toBe(0);

    clock.advance(10 * MINUTE);
    await h.pipeline.runOnce();
    const [later] = h.pipeline.targets();
    expect(later.faultsOnlySecondsLeft).toBe(learned.faultsOnlySecondsLeft - 10 * 60);

    jumpAt = clock.ms + MINUTE;
    clock.advance(MINUTE);
    await h.pipeline.runOnce();
    const [jumped] = h.pipeline.targets();
    expect(jumped.faultsOnlySecondsLeft).toBeGreaterThan(0);
    expect(jumped.openAnomalies).toBe(1);
    expect(jumped.score).toBe(1);

    // The jump is reported once, but the target has not recovered while it lasts: healing reads the level.
    clock.advance(5 * MINUTE);
    await h.pipeline.runOnce();
    const [lasting] = h.pipeline.targets();
    expect(lasting.score).toBeLessThan(lasting.threshold);
    expect(lasting.openAnomalies).toBe(1);
    expect(h.pipeline.currentScore(lasting.id)).toBeGreaterThanOrEqual(lasting.threshold);
  } finally {
    await h.close(true);
  }
});
