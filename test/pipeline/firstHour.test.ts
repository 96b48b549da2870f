import { Random } from '../../src/detection';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, HOUR, MINUTE, TestClock, type Harness } from './helpers';

const T0 = Date.UTC(2025, 2, 3, 9);
const TOTAL = 24 * 2 ** 30;

/**
 * A quiet node's memory as node-exporter reports it, from the minute its Prometheus started:
 * 16-31% of 24 GiB, drifting and jumping as a desktop's does (the first observation).
 */
function quietNode(): { timestamps: number[]; available: number[] } {
  const rng = new Random(13);
  const timestamps: number[] = [];
  const available: number[] = [];
  let used = 0.16;
  for (let t = T0; t <= T0 + HOUR; t += 15_000) {
    used = Math.min(0.31, Math.max(0.16, used + 0.004 * (rng.next() - 0.45)));
    timestamps.push(t);
    available.push(Math.round(TOTAL * (1 - used)));
  }
  return { timestamps, available };
}

describe('a fresh backend on a quiet node (real Prometheus)', () => {
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(T0 + 2 * MINUTE);

  beforeAll(async () => {
    const node = quietNode();
    const labels = { instance: 'desktop:9100', job: 'node' };
    prom = await startPrometheus([
      { name: 'node_memory_MemAvailable_bytes', labels, timestamps: node.timestamps, values: node.available },
      {
        name: 'node_memory_MemTotal_bytes',
        labels,
        timestamps: node.timestamps,
        values: node.timestamps.map(() => TOTAL),
      },
    ]);
    h = buildPipeline(
      {
        prometheus: { url: prom.url },
        watches: [
          {
            name: 'node-memory',
            queries: { memory: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes' },
            target: ['instance'],
            step: '1m',
            history: '7d',
            limits: { memory: 0.95 },
          },
        ],
      },
      clock
    );
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('predicts no failure in its first hour, and says how far its learning is', async () => {
    const progress: number[] = [];
    for (; clock.ms <= T0 + HOUR; clock.advance(5 * MINUTE)) {
      await h.pipeline.runOnce();
      const [target] = h.pipeline.targets();
      expect(target.timeToFailure).toBeNull();
      expect(target.learning).toBe(true);
      progress.push(target.learningProgress);
    }
    expect(await h.pipeline.predictions({ limit: 100 })).toEqual([]);
    const exported = await h.metrics.getSingleMetric('failureprophet_time_to_failure_seconds')!.get();
    expect(exported.values).toEqual([]);
    const learning = await h.metrics.getSingleMetric('failureprophet_learning_progress')!.get();
    expect(learning.values).toHaveLength(1);
    // An hour of 1-minute steps out of 750: about 8%, rising every cycle.
    expect(progress.at(-1)).toBeGreaterThan(0.07);
    expect(progress.at(-1)).toBeLessThan(0.1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    const [target] = h.pipeline.targets();
    expect(target.learningSecondsLeft).toBeGreaterThan(11 * 3600);
  }, 120_000);
});
