import type { ModelVersion } from '../../src/contract/pipeline';
import { configSchema } from '../../src/server/config/schema';
import { WatchQueryError } from '../../src/server/pipeline/query';
import { retrainTargets } from '../../src/server/pipeline/retraining';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { jobTarget, testSettings } from '../../src/server/pipeline/testTargets';
import { PrometheusError } from '../../src/server/prometheus/types';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import { buildPipeline, HOUR, MINUTE, TestClock, type Harness } from './helpers';
import {
  matrixBody,
  samples,
  SCRIPTED_WATCH,
  scriptedPrometheus,
  type Asked,
  type ScriptedPrometheus,
} from './loop38Prometheus';

// Retraining replays the watch's history in answers sized by its series, as a catch-up reads it:
// one that outgrows prometheus.maxResponseBytes (the client stops reading it and says so) is asked
// again with fewer steps, down to one, rather than failing the retraining, which a watch with many
// targets would then fail every time. Through the running pipeline, over real HTTP.

const NOW = Date.UTC(2025, 3, 7, 12);
const LIMIT = 64 * 1024;
const watch = SCRIPTED_WATCH;

const jobs = (n: number) => Array.from({ length: n }, (_, k) => `j${k}`);

/** Each job's value at t: a slow wave around its own level. */
const level = (job: number, t: number) => 50 + 10 * job + Math.sin(t / (7 * MINUTE) + job);

interface Run {
  prom: ScriptedPrometheus;
  h: Harness;
  clock: TestClock;
  /** The jobs Prometheus answers for from now on. */
  fleet: string[];
}

const runs: Run[] = [];

afterEach(async () => {
  for (const { h, prom } of runs.splice(0)) {
    await h.close(true);
    await prom.close();
  }
});

/** A pipeline watching a fleet of `initial` jobs, its Prometheus refusing nothing unless `maxResponseBytes` is given. */
async function start(initial: number, maxResponseBytes?: number): Promise<Run> {
  const run = { fleet: jobs(initial) } as Run;
  run.prom = await scriptedPrometheus((asked) => ({
    body: matrixBody(run.fleet.map((job, k) => ({ metric: { job }, values: samples(asked, (t) => level(k, t)) }))),
  }));
  run.clock = new TestClock(NOW);
  run.h = buildPipeline(
    { prometheus: { url: run.prom.url, ...(maxResponseBytes ? { maxResponseBytes } : {}) }, watches: [watch] },
    run.clock
  );
  runs.push(run);
  return run;
}

const stepsOf = (asked: Asked[]) => asked.map((a) => (a.end - a.start) / a.step + 1);

/** What a model version says of what it learned (not when it was made, nor its row id). */
const learned = ({ id: _id, ...model }: ModelVersion) => model;

async function retrainedModels(h: Harness) {
  return (await h.pipeline.models({ limit: 1000 })).filter((m) => m.reason === 'on_demand').map(learned);
}

it('an answer too large is asked again with fewer steps, and the retraining trains the model an unbounded one does', async () => {
  const bounded = await start(3, LIMIT);
  const unbounded = await start(3);
  const asked: number[][] = [];
  for (const run of [bounded, unbounded]) {
    await run.h.pipeline.runOnce();
    // A minute later the three jobs are 300: retraining reads the history of them all.
    run.fleet = jobs(300);
    run.clock.advance(MINUTE);
    await run.h.pipeline.runOnce();
    const before = run.prom.asked.length;
    expect(await run.h.pipeline.retrain({ watch: 'w' }, 'on_demand')).toEqual({ trained: 300, failed: [] });
    asked.push(stepsOf(run.prom.asked.slice(before)));
  }
  // Its answers grew from the last cycle's one step until one was refused (300 series × 8 steps is
  // over 64 KiB), which was asked again with half the steps; they grew no more, and read every step once.
  expect(asked[0].slice(0, 5)).toEqual([2, 4, 8, 4, 4]);
  expect(Math.max(...asked[0].slice(3))).toBe(4);
  expect(asked[0].reduce((n, s) => n + s, 0) - 8).toBe(61);
  expect(asked[1].slice(0, 4)).toEqual([2, 4, 8, 16]);

  const models = await retrainedModels(bounded.h);
  expect(models).toHaveLength(300);
  expect(models).toEqual(await retrainedModels(unbounded.h));
  expect(models.every((m) => m.status === 'active' && m.samples === 61)).toBe(true);
  // The same detectors: the next step scores alike.
  for (const run of [bounded, unbounded]) {
    run.clock.advance(MINUTE);
    await run.h.pipeline.runOnce();
  }
  expect(bounded.h.pipeline.targets()).toEqual(unbounded.h.pipeline.targets());
  expect(bounded.h.pipeline.watches()[0]).toEqual(expect.objectContaining({ degraded: false, lastError: null }));
});

it('an answer of one step too large fails the retraining, saying why, and stores nothing', async () => {
  const run = await start(3, LIMIT);
  const { h, prom } = run;
  await h.pipeline.runOnce();
  const modelsBefore = await h.pipeline.models({ limit: 1000 });
  // 3000 series: one step of them is over 64 KiB.
  run.fleet = jobs(3000);
  const before = prom.asked.length;
  const result = await h.pipeline.retrain({ watch: 'w' }, 'on_demand');
  expect(result).toEqual({
    trained: 0,
    failed: [
      {
        target: 'w (all targets)',
        error: expect.stringContaining(
          'the answer was larger than 64 KiB; narrow the query or raise prometheus.maxResponseBytes'
        ),
      },
    ],
  });
  // Halved down to one step, each from the history's start.
  expect(stepsOf(prom.asked.slice(before))).toEqual([60, 30, 15, 7, 3, 1]);
  expect(new Set(prom.asked.slice(before).map((a) => a.start))).toEqual(new Set([NOW - HOUR]));
  expect(await h.pipeline.models({ limit: 1000 })).toEqual(modelsBefore);
  expect(h.pipeline.watches()[0]).toEqual(
    expect.objectContaining({ degraded: true, lastError: expect.objectContaining({ kind: 'too_large' }) })
  );
});

it('a querier whose answers do not shrink on their own is asked with half the steps each time, its queries still narrowed', async () => {
  const store = openSqliteDatabase(':memory:', () => NOW);
  try {
    const repo = new SqlitePipelineRepository(store.db, () => NOW);
    const [config] = configSchema.parse({ prometheus: { url: 'http://127.0.0.1:1' }, watches: [watch] }).watches ?? [];
    const settings = testSettings();
    const chosen = ['j1', 'j3'].map((job) => {
      const target = jobTarget(job, settings, 0.5);
      target.signalIndex({ name: 'x', kind: 'other' });
      return target;
    });
    const asked: Array<{ steps: number; query: string }> = [];
    const end = NOW;
    const result = await retrainTargets(
      {
        watch: config,
        repo,
        settings,
        clock: { now: () => end, elapsed: () => 0 },
        // Sized as if nothing were ever refused: only the retraining makes its answers shorter.
        answerSteps: () => 60,
        held: 5,
        fetch: async (from, to, narrowed = config) => {
          const steps = (to - from) / MINUTE + 1;
          asked.push({ steps, query: narrowed.queries.x });
          if (steps > 10) {
            throw new WatchQueryError('w', new PrometheusError('too_large', 'the answer was larger than 64 KiB'), 'x');
          }
          const timestamps = Float64Array.from({ length: steps }, (_, i) => from + i * MINUTE);
          const series = ['j1', 'j3'].map((job, k) => ({
            labels: { job },
            timestamps,
            values: timestamps.map((t) => level(k, t)),
          }));
          return new Map([['x', series]]);
        },
      },
      chosen,
      end,
      'on_demand'
    );
    expect(result).toMatchObject({ trained: 2, failed: [] });
    // 61 steps: refused at 60, 30 and 15, then read 7 at a time (and the 5 left).
    expect(asked.map((a) => a.steps)).toEqual([60, 30, 15, 7, 7, 7, 7, 7, 7, 7, 7, 5]);
    expect(new Set(asked.map((a) => a.query)).size).toBe(1);
    expect(asked[0].query).toContain('(x) and on(job)');
    expect((await repo.models({})).map((m) => m.samples)).toEqual([61, 61]);
  } finally {
    store.close();
  }
});
