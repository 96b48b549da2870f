import type { Target } from '../../src/contract/pipeline';
import type { CycleWrite, PipelineRepository } from '../../src/server/pipeline/store/repository';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import { cycleWrite, T0 } from '../harness/anomalyRecords';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// What replicas sharing the watches leave each other in the store for "Retrain now", and what a
// forgotten target's model becomes: one contract, SQLite and a real PostgreSQL.
const MINUTE = 60_000;
const clock = () => T0;

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

const stores: Array<[string, () => Promise<{ repo: PipelineRepository; close(): Promise<void> }>]> = [
  [
    'SQLite',
    async () => {
      const store = openSqliteDatabase(':memory:', clock);
      return { repo: new SqlitePipelineRepository(store.db, clock), close: async () => store.close() };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const store = await openPostgresStore(await server!.createDatabase(`r${++databases}`), {
        secrets: ephemeralSecretBox(),
        limits: { maxConnections: 4 },
      });
      postgresStores.push(store);
      return { repo: new PostgresPipelineRepository(store.pool, store.where, 5, clock), close: () => store.close() };
    },
  ],
];

const listed = (watch: string, job: string): Omit<Target, 'scores' | 'owner'> => ({
  id: `${watch}{job="${job}"}`,
  watch,
  labels: { job },
  object: null,
  score: 0.1,
  threshold: 0.8,
  severity: null,
  failureModel: null,
  timeToFailure: null,
  openAnomalies: 0,
  lastScoredAt: T0,
  learning: false,
  learningProgress: 1,
  learningSecondsLeft: 0,
  faultsOnlySecondsLeft: 0,
  degraded: false,
  signals: [],
});

const cycle = (watch: string, extra: Partial<CycleWrite>): CycleWrite => cycleWrite(extra, watch);

const request = (replica: string, target: string | null, watch: string | null = null) => ({
  replica,
  watch,
  target,
  requestedBy: 'pod-a',
  requestedAt: T0,
});

describe.each(stores)('retrain requests and retired models on %s', (_name, open) => {
  let s: Awaited<ReturnType<typeof open>>;
  beforeEach(async () => {
    s = await open();
  }, 60_000);
  afterEach(() => s.close());

  it('keeps a request for its replica until done, and hands one on to another replica', async () => {
    await s.repo.queueRetraining([request('pod-b', 'w{job="a"}'), request('pod-b', null, 'w'), request('pod-c', null)]);
    const forB = await s.repo.retrainRequests('pod-b');
    expect(forB).toEqual([
      { id: expect.any(Number), ...request('pod-b', 'w{job="a"}') },
      { id: expect.any(Number), ...request('pod-b', null, 'w') },
    ]);
    await s.repo.readdressRetraining(forB[0].id, 'pod-c');
    await s.repo.finishRetraining([forB[1].id], T0 + MINUTE, { trained: 3, failed: [{ target: 'x', error: 'y' }] });
    expect(await s.repo.retrainRequests('pod-b')).toEqual([]);
    expect((await s.repo.retrainRequests('pod-c')).map((r) => r.target)).toEqual(['w{job="a"}', null]);
    // Done once: a second finish (a replica that ran it again) leaves the first outcome.
    await s.repo.finishRetraining([forB[1].id], T0 + 2 * MINUTE, { trained: 0, failed: [] });
    await s.repo.readdressRetraining(forB[1].id, 'pod-b');
    expect(await s.repo.retrainRequests('pod-b')).toEqual([]);
  });

  it("counts each replica's listed targets of the watches asked for", async () => {
    const summaries = (watch: string, owner: string, jobs: string[]) =>
      jobs.map((job) => ({ owner, target: listed(watch, job) }));
    await s.repo.commitCycle(cycle('w', { summaries: summaries('w', 'pod-a', ['a', 'b', 'c']) }));
    await s.repo.commitCycle(cycle('w', { summaries: summaries('w', 'pod-b', ['d', 'e']) }));
    await s.repo.commitCycle(cycle('v', { summaries: summaries('v', 'pod-c', ['f']) }));
    expect(await s.repo.targetShareCounts(['w'])).toEqual([
      { replica: 'pod-a', targets: 3 },
      { replica: 'pod-b', targets: 2 },
    ]);
    expect(await s.repo.targetShareCounts(['w', 'v'])).toHaveLength(3);
    expect(await s.repo.targetShareCounts([])).toEqual([]);
  });

  it("retires a forgotten target's active model: listed as current, not as active; a new first version when it is back", async () => {
    const model = (targetId: string, trainedAt: number) => ({
      watch: 'w',
      targetId,
      status: 'active' as const,
      reason: 'initial' as const,
      trainedAt,
      rangeStart: T0 - 60 * MINUTE,
      rangeEnd: trainedAt,
      samples: 60,
      params: {},
      threshold: 0.8,
      feedback: { falsePositive: 0, confirmed: 0 },
    });
    await s.repo.addModel(model('w{job="a"}', T0));
    await s.repo.addModel(model('w{job="b"}', T0));
    await s.repo.commitCycle(cycle('w', { forgotten: ['w{job="b"}'] }));
    const status = async (q: Parameters<PipelineRepository['models']>[0]) =>
      (await s.repo.models(q)).map((m) => [m.target, m.version, m.status]);
    expect(await status({ status: 'active' })).toEqual([['w{job="a"}', 1, 'active']]);
    expect(await status({ status: 'current', limit: 10 })).toEqual([
      ['w{job="b"}', 1, 'retired'],
      ['w{job="a"}', 1, 'active'],
    ]);
    expect(await status({ status: 'current', target: 'w{job="b"}' })).toEqual([['w{job="b"}', 1, 'retired']]);
    // Back under the same id, from the same start: a version of its own, not the retired one.
    expect(await s.repo.addModel(model('w{job="b"}', T0 + MINUTE))).toBe(2);
    expect(await status({ status: 'current', target: 'w{job="b"}' })).toEqual([['w{job="b"}', 2, 'active']]);
  });
});
