import type { CycleWrite, PipelineRepository } from '../../src/server/pipeline/store/repository';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import { cycleWrite, T0, targetSummary } from '../harness/anomalyRecords';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// What replicas sharing the watches leave each other in the store for "Retrain now", and what a
// forgotten target's model becomes: one contract, SQLite and a real PostgreSQL.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
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

const listed = (watch: string, job: string) =>
  targetSummary({ id: `${watch}{job="${job}"}`, watch, labels: { job }, score: 0.1 }).target;

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

  it('lets one replica take a waiting request until it finishes it or its claim lapses, whoever the request was left for', async () => {
    await s.repo.queueRetraining([request('pod-b', 'w{job="a"}', 'w'), request('pod-b', 'w{job="b"}', 'w')]);
    const waiting = await s.repo.takeableRetraining({ replica: 'pod-c', lapsedBefore: T0 });
    expect(waiting).toEqual([
      { id: expect.any(Number), ...request('pod-b', 'w{job="a"}', 'w'), claimedBy: null },
      { id: expect.any(Number), ...request('pod-b', 'w{job="b"}', 'w'), claimedBy: null },
    ]);
    const ids = waiting.map((r) => r.id);
    const at = T0 + MINUTE;
    // pod-c holds the targets now (pod-b is gone): it takes both; pod-a, holding one for a moment too, gets none.
    expect(await s.repo.claimRetraining(ids, { replica: 'pod-c', at, lapsedBefore: T0 })).toEqual(ids);
    expect(await s.repo.claimRetraining(ids, { replica: 'pod-a', at, lapsedBefore: T0 })).toEqual([]);
    expect(await s.repo.takeableRetraining({ replica: 'pod-a', lapsedBefore: T0 })).toEqual([]);
    // Claiming again (an answer lost on the way) keeps them its own.
    expect(await s.repo.claimRetraining(ids, { replica: 'pod-c', at, lapsedBefore: T0 })).toEqual(ids);
    const outcome = { trained: 1, failed: [{ target: 'w{job="b"}', error: 'no samples in the history range' }] };
    // Only the holder of the claim records the outcome, once.
    expect(await s.repo.finishRetraining(waiting, 'pod-a', at, outcome)).toBe(0);
    expect(await s.repo.finishRetraining(waiting.slice(0, 1), 'pod-c', at, { trained: 1, failed: [] })).toBe(1);
    expect(await s.repo.finishRetraining(waiting.slice(0, 1), 'pod-c', at + MINUTE, { trained: 0, failed: [] })).toBe(
      0
    );
    // The other's claim lapses (pod-c died running it): the target's next holder takes it.
    expect(await s.repo.claimRetraining(ids, { replica: 'pod-a', at: at + HOUR, lapsedBefore: at + 1 })).toEqual([
      ids[1],
    ]);
    // A failure naming no target of the run is the whole run's: each of its requests records it.
    const runFailed = { target: 'w', error: 'the watch is off' };
    expect(
      await s.repo.finishRetraining(waiting.slice(1), 'pod-a', at + HOUR, {
        ...outcome,
        failed: [...outcome.failed, runFailed],
      })
    ).toBe(1);
    expect(await s.repo.retrainRequestList({ limit: 10 })).toEqual([
      expect.objectContaining({
        id: ids[1],
        state: 'done',
        claimedBy: 'pod-a',
        answeredAt: at + HOUR,
        trained: 1,
        failed: [...outcome.failed, runFailed],
      }),
      expect.objectContaining({
        id: ids[0],
        state: 'done',
        claimedBy: 'pod-c',
        answeredAt: at,
        trained: 1,
        failed: [],
      }),
    ]);
    expect(await s.repo.takeableRetraining({ replica: 'pod-a', lapsedBefore: at + HOUR })).toEqual([]);
  });

  it('answers as expired what nobody took in time, and leaves what is claimed or recent waiting', async () => {
    await s.repo.queueRetraining([
      request('pod-b', 'w{job="gone"}', 'w'),
      request('pod-b', 'w{job="running"}', 'w'),
      { ...request('pod-b', 'w{job="recent"}', 'w'), requestedAt: T0 + HOUR },
    ]);
    const [gone, running, recent] = await s.repo.takeableRetraining({ replica: 'pod-a', lapsedBefore: T0 });
    await s.repo.claimRetraining([running.id], { replica: 'pod-a', at: T0 + 50 * MINUTE, lapsedBefore: T0 });
    const at = T0 + HOUR + MINUTE;
    expect(await s.repo.expireRetraining(at, at - HOUR, at - HOUR)).toBe(1);
    const states = async () =>
      Object.fromEntries(
        (await s.repo.retrainRequestList({ limit: 10 })).map((r) => [r.target, [r.state, r.answeredAt]])
      );
    expect(await states()).toEqual({
      'w{job="gone"}': ['expired', at],
      'w{job="running"}': ['running', null],
      'w{job="recent"}': ['queued', null],
    });
    // Expired is an answer: nobody takes it afterwards, and it expires once.
    expect(await s.repo.claimRetraining([gone.id], { replica: 'pod-a', at, lapsedBefore: at })).toEqual([]);
    expect(await s.repo.expireRetraining(at, at - HOUR, at - HOUR)).toBe(0);
    // Its claim lapsed too (pod-a died running it) and nobody else held the target.
    expect(await s.repo.expireRetraining(at + HOUR, at, at)).toBe(2);
    expect((await s.repo.retrainRequestList({ target: 'w{job="recent"}', limit: 10 })).map((r) => r.state)).toEqual([
      'expired',
    ]);
    expect(recent.requestedAt).toBe(T0 + HOUR);
  });

  it('queues one request per listed target of the watches another replica holds, counted per replica', async () => {
    const summaries = (watch: string, owner: string, jobs: string[]) =>
      jobs.map((job) => ({ owner, target: listed(watch, job) }));
    await s.repo.commitCycle(cycle('w', { summaries: summaries('w', 'pod-a', ['a', 'b', 'c']) }));
    await s.repo.commitCycle(cycle('w', { summaries: summaries('w', 'pod-b', ['d', 'e']) }));
    await s.repo.commitCycle(cycle('v', { summaries: summaries('v', 'pod-c', ['f']) }));
    expect(await s.repo.queueShareRetraining({ watches: ['w', 'v'], requestedBy: 'pod-a', requestedAt: T0 })).toEqual([
      { replica: 'pod-b', targets: 2 },
      { replica: 'pod-c', targets: 1 },
    ]);
    expect(await s.repo.queueShareRetraining({ watches: [], requestedBy: 'pod-a', requestedAt: T0 })).toEqual([]);
    const queued = await s.repo.takeableRetraining({ replica: 'pod-a', lapsedBefore: T0 });
    expect(queued.map((r) => [r.replica, r.watch, r.target, r.requestedBy, r.requestedAt])).toEqual([
      ['pod-b', 'w', 'w{job="d"}', 'pod-a', T0],
      ['pod-b', 'w', 'w{job="e"}', 'pod-a', T0],
      ['pod-c', 'v', 'v{job="f"}', 'pod-a', T0],
    ]);
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

describe('retrain request claims on PostgreSQL, two replicas at once', () => {
  it('gives each request to one of two replicas claiming it at the same moment', async () => {
    const url = await server!.createDatabase(`r${++databases}`);
    const open = async () => {
      const store = await openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 4 } });
      postgresStores.push(store);
      return new PostgresPipelineRepository(store.pool, store.where, 5, clock);
    };
    const [a, b] = [await open(), await open()];
    const targets = Array.from({ length: 300 }, (_, i) => `w{job="${i}"}`);
    await a.queueRetraining(targets.map((t) => request('pod-z', t, 'w')));
    const ids = (await a.takeableRetraining({ replica: 'pod-a', lapsedBefore: T0 })).map((r) => r.id);
    // Each claims every request, in chunks sent concurrently from two pools, many times over.
    const claim = (repo: PostgresPipelineRepository, replica: string) =>
      Promise.all(
        Array.from({ length: 6 }, (_, k) =>
          repo.claimRetraining(k % 2 === 0 ? ids : [...ids].reverse(), { replica, at: T0, lapsedBefore: T0 })
        )
      );
    const [byA, byB] = await Promise.all([claim(a, 'pod-a'), claim(b, 'pod-b')]);
    const takenByA = new Set(byA.flat());
    const takenByB = new Set(byB.flat());
    expect([...takenByA].filter((id) => takenByB.has(id))).toEqual([]);
    expect(takenByA.size + takenByB.size).toBe(ids.length);
    const list = await a.retrainRequestList({ limit: 1000 });
    expect(list.filter((r) => r.claimedBy === 'pod-a')).toHaveLength(takenByA.size);
  });
});
