import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { targetsResponseSchema, type Target } from '../../src/contract/pipeline';
import { FixedMembership, TargetShare } from '../../src/server/coordination/members';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { buildServer } from '../../src/server/http/server';
import { createLogger } from '../../src/server/logger';
import { SCORES_SPREAD_CYCLES } from '../../src/server/pipeline/ownership';
import type { Pipeline } from '../../src/server/pipeline/pipeline';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { startPostgres, type RunningPostgres } from '../harness/postgres';
import { sampledQuerier } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';
import { sharedWatchConfig } from './sharedWatch';

// Issue 16: "every replica serves the API and the pages". Two replicas share a watch on one store
// (one SQLite file; one PostgreSQL through two pools): whichever the Service picks lists the whole
// fleet, the same list, each target naming the replica that scores it, and serves any target's detail.
const NOW = Date.UTC(2025, 3, 7, 12);
const JOBS = Array.from({ length: 24 }, (_, k) => `j${String(k).padStart(2, '0')}`);
const SPIKE = NOW - 3 * MINUTE;

const querier = sampledQuerier(
  JOBS.map((job, k) => ({
    labels: { job },
    value: (t: number) => 50 + k + 3 * Math.sin(t / (7 * MINUTE) + k) + (k === 5 && t >= SPIKE ? 400 : 0),
  }))
);
const config = sharedWatchConfig;

const TOKEN = 'test-token-0123456789abcdef';
const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));

let server: RunningPostgres | undefined;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(() => server?.stop(), 120_000);

/** Each replica's repository on the one store, and how to close them. */
type Stores = { repositories: [PipelineRepository?, PipelineRepository?]; close(): Promise<void> };
const onStore: Record<string, () => Promise<Stores>> = {
  // Both on the SQLite file of the first replica's data dir (buildPipeline's own store).
  SQLite: async () => ({ repositories: [], close: async () => undefined }),
  PostgreSQL: async () => {
    const url = await server!.createDatabase('listing');
    const open = (replica: string) =>
      openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 4 }, replica, now: () => NOW });
    const stores: PostgresStore[] = [await open('pod-a'), await open('pod-b')];
    return {
      repositories: [stores[0].pipeline, stores[1].pipeline],
      close: async () => {
        for (const s of stores) {
          await s.close();
        }
      },
    };
  },
};

/** Every page of the listing, following `next`, `limit` at a time. */
async function everyPage(p: Pipeline, q: { limit: number; history?: 'true' }): Promise<Target[]> {
  const out: Target[] = [];
  let cursor: string | undefined;
  do {
    const page = await p.listTargets({ ...q, cursor });
    out.push(...page.targets);
    cursor = page.next ?? undefined;
  } while (cursor);
  return out;
}

describe.each(Object.keys(onStore))('targets listed by two replicas sharing a watch on %s', (kind) => {
  it('both list the whole fleet, the same, each target with its owner; either serves any target', async () => {
    const stores = await onStore[kind]();
    const clock = new TestClock(NOW);
    const members = ['pod-a', 'pod-b'];
    const replica = (identity: string, i: number, dataDir?: string) =>
      buildPipeline(config, clock, {
        dataDir,
        extra: {
          querierFor: () => querier,
          ownership: new TargetShare(new FixedMembership(identity, members), clock, 0),
          ...(stores.repositories[i] ? { repository: stores.repositories[i] } : {}),
        },
      });
    const a: Harness = replica('pod-a', 0);
    const b: Harness = replica('pod-b', 1, a.dataDir);
    try {
      for (let c = 0; c < 3; c++) {
        await a.pipeline.runOnce();
        await b.pipeline.runOnce();
        clock.advance(MINUTE);
      }
      // Each holds its share only...
      const held = (h: Harness) => h.pipeline.targets({ limit: 1000 }).map((t) => t.id);
      expect(held(a).length).toBeGreaterThan(0);
      expect(held(b).length).toBeGreaterThan(0);
      expect(held(a).length + held(b).length).toBe(JOBS.length);

      // ...but lists the whole fleet, the same whichever is asked, page by page.
      const listA = await everyPage(a.pipeline, { limit: 5 });
      const listB = await everyPage(b.pipeline, { limit: 7 });
      expect(listA.map((t) => t.id)).toEqual(JOBS.map((j) => `w{job="${j}"}`));
      expect(listB).toEqual(listA);
      for (const t of listA) {
        expect(t.owner).toBe(held(a).includes(t.id) ? 'pod-a' : 'pod-b');
        expect(t.lastScoredAt).toBe(NOW + 2 * MINUTE);
      }
      // What the page gets through the API, from either replica.
      for (const h of [a, b]) {
        const app = await buildServer({
          logger: quiet,
          apiToken: TOKEN,
          store: h.store,
          metrics: h.metrics,
          version: 'test',
          authenticatedRoutes: [pipelineRoutes(h.pipeline)],
        });
        try {
          const res = await app.inject({
            url: '/api/targets?limit=1000',
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          expect(res.statusCode).toBe(200);
          expect(targetsResponseSchema.parse(res.json()).targets).toEqual(listA);
        } finally {
          await app.close();
        }
      }
      // As the replica that scores it lists it from memory.
      const own = a.pipeline.targets({ limit: 1000 })[0];
      expect(listB.find((t) => t.id === own.id)).toEqual({ ...own, owner: 'pod-a' });
      // Filters and the score history hold on the stored listing too.
      const spiking = await b.pipeline.listTargets({ anomalous: 'true' });
      expect(spiking.targets.map((t) => t.id)).toEqual(['w{job="j05"}']);
      expect(spiking.targets[0].openAnomalies).toBe(1);
      expect(listA.every((t) => t.scores === undefined)).toBe(true);

      // The detail of a target the other replica scores: its listing and the stored record.
      const other = held(b)[0];
      const detail = (await a.pipeline.target(other))!;
      expect(detail.target).toEqual(listA.find((t) => t.id === other));
      expect(detail.series).toEqual({});
      expect((await b.pipeline.target(other))!.target).toEqual(detail.target);
      expect(await a.pipeline.target('w{job="nope"}')).toBeUndefined();
      // A replica that does not run the watch (removed or renamed in its configuration) does not serve
      // the summaries the watch's replicas left as scored now: what is stored, saying why.
      const c = buildPipeline({ watches: [{ ...config.watches[0], name: 'v' }] }, clock, {
        dataDir: a.dataDir,
        extra: {
          querierFor: () => querier,
          ownership: new TargetShare(new FixedMembership('pod-c', ['pod-c']), clock, 0),
          ...(stores.repositories[0] ? { repository: stores.repositories[0] } : {}),
        },
      });
      try {
        await c.pipeline.runOnce();
        expect(await c.pipeline.target(other)).toMatchObject({
          scored: false,
          target: { id: other, watch: 'w', reason: 'watch_not_running' },
        });
      } finally {
        await c.close();
      }

      // Score histories (the bulk of a row) are written every SCORES_SPREAD_CYCLES cycles, each
      // target on its own phase: within that many cycles every listed history is its owner's.
      const current = new Set<string>();
      for (let c = 0; c < SCORES_SPREAD_CYCLES; c++) {
        await a.pipeline.runOnce();
        await b.pipeline.runOnce();
        clock.advance(MINUTE);
        const inMemory = new Map(
          [a, b].flatMap((h) => h.pipeline.targets({ limit: 1000, history: 'true' })).map((t) => [t.id, t.scores])
        );
        for (const t of await everyPage(a.pipeline, { limit: 50, history: 'true' })) {
          expect(t.scores!.length).toBeGreaterThan(0);
          if (JSON.stringify(t.scores) === JSON.stringify(inMemory.get(t.id))) {
            current.add(t.id);
          }
        }
      }
      expect(current.size).toBe(JOBS.length);
    } finally {
      await a.close();
      await b.close();
      await stores.close();
      rmSync(a.dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
