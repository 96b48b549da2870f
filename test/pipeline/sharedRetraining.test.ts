import { retrainResponseSchema, type ModelVersion } from '../../src/contract/pipeline';
import { FixedMembership, TargetShare } from '../../src/server/coordination/members';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';
import { RETRAIN_JOBS, retrainQuerier, SHARED_NOW, sharedWatchConfig } from './sharedWatch';

// Two replicas share a watch on one store (as sharedListing.test.ts builds them). The Models page
// lists every target's model whichever replica answers; its "Retrain now" and "Retrain all now"
// reach one replica, which must get the targets the other holds retrained too and say so.
const NOW = SHARED_NOW;
const JOBS = RETRAIN_JOBS;
const querier = retrainQuerier;
const config = sharedWatchConfig;

/** Two replicas on one SQLite file, both cycled three times. */
async function twoReplicas(clock: TestClock) {
  const replica = (identity: string, dataDir?: string) =>
    buildPipeline(config, clock, {
      dataDir,
      extra: {
        querierFor: () => querier,
        ownership: new TargetShare(new FixedMembership(identity, ['pod-a', 'pod-b']), clock, 0),
      },
    });
  const a = replica('pod-a');
  const b = replica('pod-b', a.dataDir);
  for (let c = 0; c < 3; c++) {
    await a.pipeline.runOnce();
    await b.pipeline.runOnce();
    clock.advance(MINUTE);
  }
  return { a, b };
}

const held = (h: Harness) => h.pipeline.targets({ limit: 1000 }).map((t) => t.id);
const onDemand = async (h: Harness, target: string): Promise<ModelVersion[]> =>
  (await h.pipeline.models({ target, limit: 100 })).filter((m) => m.reason === 'on_demand');

describe('"Retrain now" with replicas sharing the watches', () => {
  it('queues a target another replica holds for that replica (202), which retrains it at its next cycle', async () => {
    const clock = new TestClock(NOW);
    const { a, b } = await twoReplicas(clock);
    const app = await injectingApp(a, [pipelineRoutes(a.pipeline)]);
    try {
      const other = held(b)[0];
      expect(held(a)).not.toContain(other);
      const res = await app.inject({
        method: 'POST',
        url: '/api/models/retrain',
        headers: AUTH,
        payload: { target: other },
      });
      expect(res.statusCode).toBe(202);
      expect(retrainResponseSchema.parse(res.json())).toEqual({
        trained: 0,
        failed: [],
        queued: [{ replica: 'pod-b', targets: 1 }],
      });
      expect(await onDemand(b, other)).toEqual([]);

      // pod-a's own next cycle leaves it alone; pod-b's runs it, once.
      await a.pipeline.runOnce();
      expect(await onDemand(b, other)).toEqual([]);
      await b.pipeline.runOnce();
      expect(await onDemand(b, other)).toEqual([expect.objectContaining({ status: 'active', version: 2 })]);
      await b.pipeline.runOnce();
      expect(await onDemand(b, other)).toHaveLength(1);
    } finally {
      await app.close();
      await b.close();
      await a.close(true);
    }
  });

  it('"Retrain all" retrains the share held here, says how many are queued for the other replica, which retrains them', async () => {
    const clock = new TestClock(NOW);
    const { a, b } = await twoReplicas(clock);
    const app = await injectingApp(a, [pipelineRoutes(a.pipeline)]);
    try {
      const [mine, theirs] = [held(a), held(b)];
      expect(mine.length + theirs.length).toBe(JOBS.length);
      const res = await app.inject({ method: 'POST', url: '/api/models/retrain', headers: AUTH, payload: {} });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        trained: mine.length,
        failed: [],
        queued: [{ replica: 'pod-b', targets: theirs.length }],
      });
      for (const id of mine) {
        expect(await onDemand(a, id)).toHaveLength(1);
      }
      await b.pipeline.runOnce();
      for (const id of [...mine, ...theirs]) {
        expect(await onDemand(a, id)).toHaveLength(1);
      }
    } finally {
      await app.close();
      await b.close();
      await a.close(true);
    }
  });

  it('leaves a request whose target moved to the replica that holds it now, which retrains it', async () => {
    const clock = new TestClock(NOW);
    const { a, b } = await twoReplicas(clock);
    try {
      // Queued for pod-b while pod-b held it; pod-a holds it by the time pod-b reads the request.
      const moved = held(a)[0];
      await a.pipeline.repo.queueRetraining([
        { replica: 'pod-b', watch: null, target: moved, requestedBy: 'pod-c', requestedAt: NOW },
      ]);
      await b.pipeline.runOnce();
      expect(await onDemand(a, moved)).toEqual([]);
      const states = async () => (await a.pipeline.repo.retrainRequestList({ limit: 10 })).map((r) => r.state);
      expect(await states()).toEqual(['queued']);
      await a.pipeline.runOnce();
      expect(await onDemand(a, moved)).toHaveLength(1);
      expect(await states()).toEqual(['done']);
    } finally {
      await b.close();
      await a.close(true);
    }
  });

  it('answers a target held here at once (200), and an unknown one 404, as a single process does', async () => {
    const clock = new TestClock(NOW);
    const { a, b } = await twoReplicas(clock);
    const app = await injectingApp(a, [pipelineRoutes(a.pipeline)]);
    try {
      const here = await app.inject({
        method: 'POST',
        url: '/api/models/retrain',
        headers: AUTH,
        payload: { target: held(a)[0] },
      });
      expect(here.statusCode).toBe(200);
      expect(here.json()).toEqual({ trained: 1, failed: [] });
      const unknown = await app.inject({
        method: 'POST',
        url: '/api/models/retrain',
        headers: AUTH,
        payload: { target: 'w{job="nope"}' },
      });
      expect(unknown.statusCode).toBe(404);
    } finally {
      await app.close();
      await b.close();
      await a.close(true);
    }
  });
});

describe('"Retrain all now" in a single process', () => {
  it('answers 200 with what it retrained and nothing queued', async () => {
    const clock = new TestClock(NOW);
    const h = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
    const app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
    try {
      await h.pipeline.runOnce();
      const res = await app.inject({ method: 'POST', url: '/api/models/retrain', headers: AUTH, payload: {} });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ trained: JOBS.length, failed: [] });
    } finally {
      await app.close();
      await h.close(true);
    }
  });
});
