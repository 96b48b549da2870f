import { RETRAIN_REQUEST_EXPIRES_AFTER_MS, retrainRequestsResponseSchema } from '../../src/contract/retrainRequests';
import type { ModelVersion } from '../../src/contract/pipeline';
import { FixedMembership, TargetShare } from '../../src/server/coordination/members';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { startPostgres, type RunningPostgres } from '../harness/postgres';
import type { App } from '../../src/server/http/server';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';
import { retrainQuerier, SHARED_NOW, sharedWatchConfig } from './sharedWatch';

// "Retrain now" queued for the replica holding a target (202) must not wait for ever when that
// replica dies or the target moves: whichever replica holds the target now runs it, once even while
// two both believe they hold it, and a request nobody holds the target of is answered as expired.
// Two replicas on one store, SQLite (one file) and a real PostgreSQL.
const NOW = SHARED_NOW;
const querier = retrainQuerier;
const config = sharedWatchConfig;

let server: RunningPostgres | undefined;
let databases = 0;
const postgresStores: PostgresStore[] = [];

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const s of postgresStores.splice(0)) {
    await s.close().catch(() => undefined);
  }
  await server?.stop();
}, 120_000);

/** Gives each replica its repository on one shared store: undefined for the SQLite file the harness opens. */
type Stores = () => Promise<(clock: TestClock) => Promise<PipelineRepository | undefined>>;
const stores: Array<[string, Stores]> = [
  ['SQLite', async () => async () => undefined],
  [
    'PostgreSQL',
    async () => {
      const url = await server!.createDatabase(`follows${++databases}`);
      return async (clock) => {
        const store = await openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 3 } });
        postgresStores.push(store);
        return new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now());
      };
    },
  ],
];

describe.each(stores)('a queued "Retrain now" follows its target, on %s', (_name, shared) => {
  /** The member list each replica sees: changed in place to make one leave, or to make them disagree. */
  let sees: Record<'pod-a' | 'pod-b', string[]>;
  let replicas: Harness[];
  /** Each replica's API (one server per harness: its metrics registry takes one). */
  let apps: Map<Harness, App>;
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock(NOW);
    sees = { 'pod-a': ['pod-a', 'pod-b'], 'pod-b': ['pod-a', 'pod-b'] };
    const repository = await shared();
    replicas = [];
    for (const identity of ['pod-a', 'pod-b'] as const) {
      const repo = await repository(clock);
      replicas.push(
        buildPipeline(config, clock, {
          dataDir: replicas[0]?.dataDir,
          extra: {
            querierFor: () => querier,
            ownership: new TargetShare(new FixedMembership(identity, sees[identity]), clock, 0),
            ...(repo ? { repository: repo } : {}),
          },
        })
      );
    }
    apps = new Map();
    for (const h of replicas) {
      apps.set(h, await injectingApp(h, [pipelineRoutes(h.pipeline)]));
    }
    await cycle(replicas);
  }, 60_000);

  afterEach(async () => {
    for (const app of apps.values()) {
      await app.close();
    }
    for (const h of replicas.reverse()) {
      await h.close(h === replicas[replicas.length - 1]);
    }
  });

  /** One cycle of each replica given (at once), then a minute on. */
  async function cycle(which: Harness[], times = 3) {
    for (let c = 0; c < times; c++) {
      await Promise.all(which.map((h) => h.pipeline.runOnce()));
      clock.advance(MINUTE);
    }
  }

  const held = (h: Harness) => h.pipeline.targets({ limit: 1000 }).map((t) => t.id);
  const onDemand = async (h: Harness, target: string): Promise<ModelVersion[]> =>
    (await h.pipeline.models({ target, limit: 100 })).filter((m) => m.reason === 'on_demand');

  async function requests(h: Harness) {
    const res = await apps.get(h)!.inject({ url: '/api/models/retrain-requests', headers: AUTH });
    expect(res.statusCode).toBe(200);
    return retrainRequestsResponseSchema.parse(res.json());
  }

  const retrain = (h: Harness, payload: Record<string, string>) =>
    apps.get(h)!.inject({ method: 'POST', url: '/api/models/retrain', headers: AUTH, payload });

  it('is run by the replica that holds the target after the replica it was queued for died', async () => {
    const [a, b] = replicas;
    const target = held(b)[0];
    const res = await retrain(a, { target });
    expect(res.statusCode).toBe(202);
    expect(res.json().queued).toEqual([{ replica: 'pod-b', targets: 1 }]);
    expect((await requests(a)).requests).toEqual([
      expect.objectContaining({ target, watch: 'w', replica: 'pod-b', requestedBy: 'pod-a', state: 'queued' }),
    ]);
    // pod-b dies before its next cycle: pod-a, alone, takes its targets over and runs the request.
    sees['pod-a'].splice(sees['pod-a'].indexOf('pod-b'), 1);
    await cycle([a], 1);
    expect(held(a)).toContain(target);
    expect(await onDemand(a, target)).toEqual([expect.objectContaining({ status: 'active' })]);
    expect((await requests(a)).requests).toEqual([
      expect.objectContaining({ target, state: 'done', claimedBy: 'pod-a', trained: 1, failed: [] }),
    ]);
    await cycle([a], 2);
    expect(await onDemand(a, target)).toHaveLength(1);
  });

  it('"Retrain all" queues each target the other replica holds, and they follow their targets too', async () => {
    const [a, b] = replicas;
    const theirs = held(b);
    const res = await retrain(a, {});
    expect(res.statusCode).toBe(202);
    expect(res.json().queued).toEqual([{ replica: 'pod-b', targets: theirs.length }]);
    sees['pod-a'].splice(sees['pod-a'].indexOf('pod-b'), 1);
    await cycle([a], 1);
    for (const id of theirs) {
      expect(await onDemand(a, id)).toHaveLength(1);
    }
    expect((await requests(a)).requests.map((r) => [r.target, r.state]).sort()).toEqual(
      theirs.map((id) => [id, 'done']).sort()
    );
  });

  it('runs once while two replicas both believe they hold the target', async () => {
    const [a, b] = replicas;
    // pod-a missed pod-b's renewals: it watches everything, pod-b its own share as before.
    sees['pod-a'].splice(sees['pod-a'].indexOf('pod-b'), 1);
    await cycle(replicas, 1);
    const target = held(b)[0];
    expect(held(a)).toContain(target);
    // Queued for pod-c while it held the target; pod-c is gone.
    await a.pipeline.repo.queueRetraining([
      { replica: 'pod-c', watch: 'w', target, requestedBy: 'pod-c', requestedAt: clock.now() },
    ]);
    await cycle(replicas, 2);
    expect(await onDemand(a, target)).toHaveLength(1);
    const [done] = (await requests(b)).requests;
    expect(done).toEqual(expect.objectContaining({ target, state: 'done', trained: 1 }));
    expect(['pod-a', 'pod-b']).toContain(done.claimedBy);
  });

  it('is answered as expired when no replica held its target within the bound, and says so on every replica', async () => {
    const [a, b] = replicas;
    const gone = 'w{job="gone"}';
    await a.pipeline.repo.queueRetraining([
      { replica: 'pod-b', watch: 'w', target: gone, requestedBy: 'pod-a', requestedAt: clock.now() },
    ]);
    // Waiting exactly the bound is not yet expired; a minute more is.
    clock.advance(RETRAIN_REQUEST_EXPIRES_AFTER_MS);
    await cycle(replicas, 1);
    expect((await requests(b)).requests.map((r) => r.state)).toEqual(['queued']);
    await cycle(replicas, 1);
    const answer = await requests(b);
    expect(answer.expiresAfterMs).toBe(RETRAIN_REQUEST_EXPIRES_AFTER_MS);
    expect(answer.requests).toEqual([
      expect.objectContaining({ target: gone, state: 'expired', claimedBy: null, answeredAt: expect.any(Number) }),
    ]);
    expect(answer.requests[0].answeredAt! - answer.requests[0].requestedAt).toBeGreaterThan(
      RETRAIN_REQUEST_EXPIRES_AFTER_MS
    );
  });
});
