import type { ModelVersion } from '../../src/contract/pipeline';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, HOUR, MINUTE, TestClock, type Harness } from './helpers';

// "Retrain now" on one target used to read every series of the watch over its whole history and
// drop all but the target's (loop34 D10: 1 target of 200 read all 200 series-days). Retraining a
// few targets reads only theirs, through PromQL a real Prometheus evaluates: the same series, so
// the same model, for a fraction of the points.
const T0 = Date.UTC(2025, 2, 3);
const END = T0 + 6 * HOUR;
// Label values PromQL must quote and label_replace must not expand ($1 names a capture group there).
const JOBS = ['api', 'web', 'db', 'cache', 'queue', 'batch', 'cost$1', 'say "hi"\\'];
const INSTANCES = ['i1', 'i2'];

/** Two instances per job, summed by the watch's query: a target's value is computed from several series. */
function backfilled() {
  const timestamps = Array.from({ length: 6 * 60 + 1 }, (_, i) => T0 + i * MINUTE);
  return JOBS.flatMap((job, j) =>
    INSTANCES.map((instance, k) => ({
      name: 'load',
      labels: { job, instance },
      timestamps,
      values: timestamps.map((t, i) => 10 * j + k + Math.sin(i / 7 + j) + (j === 2 && i === 200 ? 30 : 0)),
    }))
  );
}

const config = {
  watches: [
    {
      name: 'load',
      queries: { load: 'sum by (job) (load)' },
      target: ['job'],
      step: '1m',
      history: '6h',
      lag: 0,
      detector: 'zscore',
    },
  ],
};

describe('retraining a few targets of a watch (real Prometheus)', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus(backfilled());
  }, 120_000);
  afterAll(() => prom?.stop());

  /** A pipeline on that Prometheus that counts the points its answers carry from `counting` on. */
  function counted(clock: TestClock) {
    const client = new PrometheusClient({ baseUrl: prom.url, timeoutMs: 30_000, clock });
    const read = { points: 0, counting: false };
    const querier: RangeQuerier = {
      queryRange: async (q) => {
        const answer = await client.queryRange(q);
        if (read.counting) {
          read.points += answer.reduce((n, s) => n + s.timestamps.length, 0);
        }
        return answer;
      },
    };
    const h = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
    return { h, read };
  }

  const latest = async (h: Harness, target: string): Promise<ModelVersion> =>
    (await h.pipeline.models({ target, status: 'active', limit: 1 }))[0];

  it('reads only the chosen targets’ series, and trains the model the whole watch’s series would', async () => {
    const whole = counted(new TestClock(END));
    const few = counted(new TestClock(END));
    const target = `load{job=${JSON.stringify(JOBS[2])}}`;
    const odd = JOBS.slice(6).map((job) => `load{job=${JSON.stringify(job)}}`);
    try {
      await whole.h.pipeline.runOnce();
      await few.h.pipeline.runOnce();
      expect(whole.h.pipeline.targets().length).toBe(JOBS.length);

      // The watch: every series of the history.
      whole.read.counting = true;
      expect(await whole.h.pipeline.retrain({ watch: 'load' }, 'on_demand')).toEqual({
        trained: JOBS.length,
        failed: [],
      });
      // One target: its series alone.
      few.read.counting = true;
      expect(await few.h.pipeline.retrain({ target }, 'on_demand')).toEqual({ trained: 1, failed: [] });
      const steps = 6 * 60 + 1;
      expect(whole.read.points).toBe(JOBS.length * steps);
      expect(few.read.points).toBe(steps);

      const [a, b] = [await latest(whole.h, target), await latest(few.h, target)];
      expect(b).toMatchObject({ version: 2, reason: 'on_demand', samples: steps });
      expect({ ...b, id: 0, trainedAt: 0 }).toEqual({ ...a, id: 0, trainedAt: 0 });
      const scored = (h: Harness) => h.pipeline.targets().find((t) => t.id === target)!;
      expect(scored(few.h).threshold).toBe(scored(whole.h).threshold);

      // The values PromQL must quote and not expand name their own targets.
      few.read.points = 0;
      for (const id of odd) {
        expect(await few.h.pipeline.retrain({ target: id }, 'on_demand')).toEqual({ trained: 1, failed: [] });
      }
      expect(few.read.points).toBe(odd.length * steps);
    } finally {
      await whole.h.close(true);
      await few.h.close(true);
    }
  }, 120_000);
});
