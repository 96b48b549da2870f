import { Random } from '../../src/detection';
import { SLICE_MS } from '../../src/server/pipeline/loopTurns';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import type { RangeSeries } from '../../src/server/prometheus/types';
import { buildPipeline, MINUTE, TestClock } from './helpers';

// Retraining reads the watch's whole history again, for every series of the watch: its answers
// must be sized by the series as a catch-up's are (pipeline.maxPointsPerAnswer), or a large
// watch's retraining asks Prometheus for an answer it cannot send (issue 16).
const T0 = Date.UTC(2025, 2, 3);
const JOBS = Array.from({ length: 30 }, (_, j) => `job-${j}`);

/** One series per job over the query's steps, the j-th job's value at t being `value(t, j)`. */
function jobSeries(
  q: Parameters<RangeQuerier['queryRange']>[0],
  jobs: string[],
  value: (t: number, j: number) => number
): RangeSeries[] {
  const n = Math.max(0, Math.floor((q.end - q.start) / q.stepMs) + 1);
  return jobs.map((job, j) => {
    const timestamps = Float64Array.from({ length: n }, (_, k) => q.start + k * q.stepMs);
    return { labels: { job }, timestamps, values: timestamps.map((t) => value(t, j)) };
  });
}

/** The watch both tests retrain (six hours of one-minute steps over the jobs), with answers of at most `maxPointsPerAnswer` points. */
function loadWatch(maxPointsPerAnswer: number, clock: TestClock, querier: RangeQuerier) {
  return buildPipeline(
    {
      watches: [{ name: 'load', queries: { load: 'load' }, target: ['job'], step: '1m', history: '6h', lag: 0 }],
      pipeline: { maxPointsPerAnswer },
    },
    clock,
    { extra: { querierFor: () => querier } }
  );
}

describe('retraining a watch', () => {
  it('reads the history in answers of at most maxPointsPerAnswer points, and trains every target', async () => {
    const answers: number[] = [];
    const querier: RangeQuerier = {
      queryRange: async (q) => {
        const series = jobSeries(q, JOBS, (t, j) => 10 + j + new Random(t / MINUTE + 1000 * j).next());
        answers.push(series.reduce((sum, s) => sum + s.timestamps.length, 0));
        return series;
      },
    };
    const clock = new TestClock(T0 + 6 * 60 * MINUTE);
    const h = loadWatch(100, clock, querier);
    try {
      await h.pipeline.runOnce();
      clock.advance(MINUTE);
      await h.pipeline.runOnce();
      const cycles = answers.length;
      const result = await h.pipeline.retrain({ watch: 'load' }, 'on_demand');
      expect(result).toMatchObject({ trained: JOBS.length, failed: [] });
      // Retraining read the six hours again (the budget is 3 steps of the 30 series).
      expect(answers.length - cycles).toBeGreaterThan((6 * 60) / 3);
      expect(Math.max(...answers)).toBeLessThanOrEqual(100);
    } finally {
      await h.close(true);
    }
  }, 120_000);
});

describe('retraining a large watch', () => {
  it('gives the event loop a turn once a slice of the clock is spent: the API answers while it trains', async () => {
    const clock = new TestClock(T0 + 6 * 60 * MINUTE);
    let retraining = false;
    let answersRead = 0;
    const querier: RangeQuerier = {
      queryRange: async (q) => {
        if (retraining) {
          // Reading an answer takes a slice of the clock: its training is due a turn.
          answersRead++;
          clock.ms += SLICE_MS;
        }
        return jobSeries(q, JOBS, (t, j) => j + new Random(t).next());
      },
    };
    const h = loadWatch(300, clock, querier);
    try {
      await h.pipeline.runOnce();
      let turns = 0;
      let ticking = true;
      const tick = () => {
        turns++;
        if (ticking) {
          setImmediate(tick);
        }
      };
      retraining = true;
      const done = h.pipeline.retrain({ watch: 'load' }, 'on_demand');
      setImmediate(tick);
      const result = await done;
      ticking = false;
      expect(result).toMatchObject({ trained: JOBS.length, failed: [] });
      expect(answersRead).toBeGreaterThan(10);
      // A turn for each answer's training, at least (nothing else here waits for the event loop).
      expect(turns).toBeGreaterThanOrEqual(answersRead);
    } finally {
      await h.close(true);
    }
  }, 120_000);
});

describe('retraining requested again while it runs', () => {
  it('joins the run in progress: ten requests for the same watch retrain it once', async () => {
    const querier: RangeQuerier = {
      queryRange: async (q) => {
        return jobSeries(q, JOBS.slice(0, 3), (t, j) => j + new Random(t).next());
      },
    };
    const clock = new TestClock(T0 + 60 * MINUTE);
    const h = buildPipeline(
      { watches: [{ name: 'load', queries: { load: 'load' }, target: ['job'], step: '1m', history: '1h', lag: 0 }] },
      clock,
      { extra: { querierFor: () => querier } }
    );
    // Each retraining records a model version per target.
    const retrainings = async () =>
      (await h.pipeline.models({ limit: 1000 })).filter((m) => m.reason === 'on_demand').length / 3;
    try {
      await h.pipeline.runOnce();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => h.pipeline.retrain({ watch: 'load' }, 'on_demand'))
      );
      expect(results.every((r) => r.trained === 3)).toBe(true);
      expect(await retrainings()).toBe(1);
      // Once it has finished, a new request retrains again.
      await h.pipeline.retrain({ watch: 'load' }, 'on_demand');
      expect(await retrainings()).toBe(2);
    } finally {
      await h.close(true);
    }
  }, 120_000);
});
