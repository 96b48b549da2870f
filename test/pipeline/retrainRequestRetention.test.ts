// Retention of answered retrain requests (FP_DETECTION_RETENTION_DAYS) on both stores, driven by hand
// on an injected clock: a "Retrain now" queued for another replica leaves a row per target, answered
// within the hour (run or expired); a prune deletes those answered before the cutoff, but never a
// waiting or running one, nor the newest of a target (what the Models page shows of it), in batches
// on the detection prune's cadence, counted under table="retrain_requests", and served by indexes.

import type { RetrainRequestView } from '../../src/contract/retrainRequests';
import { pruneRetrainRequestsSql } from '../../src/server/pipeline/store/detectionPrune';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { openPostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { postgresForTests } from '../harness/postgres';
import { detectionRetentionUnderTest } from './detectionRetentionUnderTest';
import { TestClock } from './helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2025-06-01T12:00:00Z');
const postgres = postgresForTests();
const secrets = ephemeralSecretBox();
let round = 0;

/** A store on the test's clock, and the plan its database gives the prune's statement (index names in it). */
type Opened = { store: Store; plan: () => Promise<string> };
const opens: Record<string, (clock: TestClock) => Promise<Opened>> = {
  SQLite: async (clock) => {
    const store = openSqliteDatabase(':memory:', clock.now, { secrets });
    const sql = () => pruneRetrainRequestsSql({ before: '@before', limit: '@limit' });
    const plan = async () =>
      store.db
        .prepare<{ before: number; limit: number }, { detail: string }>(`EXPLAIN QUERY PLAN ${sql()}`)
        .all({ before: NOW, limit: 1000 })
        .map((r) => r.detail)
        .join('\n');
    return { store, plan };
  },
  PostgreSQL: async (clock) => {
    const url = await postgres().createDatabase(`retrainretention${++round}`);
    const store = await openPostgresStore(url, { secrets, limits: { maxConnections: 4 }, now: clock.now });
    const plan = async () => {
      const client = await store.pool.connect();
      try {
        // A test table is too small for the planner to prefer an index: forbid what it would do instead.
        await client.query('SET enable_seqscan = off');
        await client.query('SET enable_sort = off');
        const sql = pruneRetrainRequestsSql({ before: '$1::bigint', limit: '$2::int' });
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [NOW, 1000]);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        client.release();
      }
    };
    return { store, plan };
  },
};

describe.each(Object.keys(opens))('retention of retrain requests on %s', (kind) => {
  let opened: Opened;
  afterEach(() => opened.store.close());

  const setUp = async (days: number) => {
    const clock = new TestClock(NOW - 40 * DAY);
    opened = await opens[kind](clock);
    const { retention, logged, pruned } = detectionRetentionUnderTest(opened.store.pipeline, clock, days);
    return { clock, retention, logged, pruned, repo: opened.store.pipeline };
  };

  /** The replicas' side of a request, as sharedRetraining.ts drives it. */
  const requests = (repo: PipelineRepository) => ({
    /** pod-a queues "Retrain now" of `targets` (null: a share request from before requests followed targets) for pod-b; resolves to their ids. */
    queue: async (targets: Array<string | null>, at: number): Promise<number[]> => {
      await repo.queueRetraining(
        targets.map((target) => ({ replica: 'pod-b', watch: 'w', target, requestedBy: 'pod-a', requestedAt: at }))
      );
      const all = await repo.retrainRequestList({ limit: 1000 });
      return all
        .filter((r) => r.requestedAt === at)
        .map((r) => r.id)
        .sort((a, b) => a - b);
    },
    claim: async (ids: number[], replica: string, at: number) => {
      expect(await repo.claimRetraining(ids, { replica, at, lapsedBefore: at - HOUR })).toEqual(ids);
    },
    /** `replica` runs the requests it claimed among `ids`; `error` fails them. */
    finish: async (ids: number[], replica: string, at: number, error?: string) => {
      const taken = (await repo.takeableRetraining({ replica, lapsedBefore: at - HOUR })).filter((r) =>
        ids.includes(r.id)
      );
      const failed = error ? taken.map((r) => ({ target: r.target ?? 'w', error })) : [];
      expect(await repo.finishRetraining(taken, replica, at, { trained: taken.length - failed.length, failed })).toBe(
        ids.length
      );
    },
    /** What expiry does at `at`: a request nobody took for an hour, or whose taker let it lapse, is answered as expired. */
    expire: (at: number) => repo.expireRetraining(at, at - HOUR, at - HOUR),
  });

  /** What the Models page shows of each target: its newest request. */
  const newestOf = async (repo: PipelineRepository, targets: string[]) => {
    const newest: Record<string, RetrainRequestView | undefined> = {};
    for (const target of targets) {
      [newest[target]] = await repo.retrainRequestList({ target, limit: 1 });
    }
    return newest;
  };

  it('deletes requests answered before the cutoff, never a waiting or running one nor a target newest', async () => {
    const s = await setUp(3);
    const r = requests(s.repo);
    const run = async (targets: Array<string | null>, at: number, error?: string) => {
      const ids = await r.queue(targets, at);
      await r.claim(ids, 'pod-b', at);
      await r.finish(ids, 'pod-b', at, error);
      return ids;
    };

    // Target a: run ten days ago, expired nine days ago, then failed eight days ago (its newest: the page says so).
    const [a1] = await run(['w{job="a"}'], NOW - 10 * DAY);
    // Target c: run ten days ago; asked again an hour ago and running now.
    const [c1] = await run(['w{job="c"}'], NOW - 10 * DAY + 1);
    // A share request from before requests followed targets: the page never shows it.
    const [oldShare] = await run([null], NOW - 10 * DAY + 2);
    // Target b: nobody held it; expired two hours after it was asked.
    const [b1] = await r.queue(['w{job="b"}'], NOW - 10 * DAY + 3);
    expect(await r.expire(NOW - 10 * DAY + 2 * HOUR)).toBe(1);
    const [a2] = await r.queue(['w{job="a"}'], NOW - 9 * DAY);
    expect(await r.expire(NOW - 9 * DAY + 2 * HOUR)).toBe(1);
    const [a3] = await run(['w{job="a"}'], NOW - 8 * DAY, 'training failed: no samples');
    // Target d: pod-c took one six days ago and died with it; the next, asked five minutes later, pod-b
    // ran at once. The older was answered (expired) four days later, after the cutoff: the newer,
    // answered before it, is what the page shows, and must not leave the older in its place.
    const [d1] = await r.queue(['w{job="d"}'], NOW - 6 * DAY);
    await r.claim([d1], 'pod-c', NOW - 6 * DAY);
    const [d2] = await run(['w{job="d"}'], NOW - 6 * DAY + 300_000);
    expect(await r.expire(NOW - 2 * DAY)).toBe(1);
    // Target e: run twice within the retention.
    const [e1] = await run(['w{job="e"}'], NOW - 2 * DAY);
    const [newShare] = await run([null], NOW - 1 * DAY);
    const [e2] = await run(['w{job="e"}'], NOW - 1 * DAY + 1);
    // Target b asked again a day ago, still waiting (its replica has not come back).
    const [b2] = await r.queue(['w{job="b"}'], NOW - DAY + 2);
    const [c2] = await r.queue(['w{job="c"}'], NOW - HOUR);
    await r.claim([c2], 'pod-b', NOW - HOUR);

    const targets = ['a', 'b', 'c', 'd', 'e'].map((job) => `w{job="${job}"}`);
    const shown = await newestOf(s.repo, targets);
    expect(Object.values(shown).map((v) => [v?.id, v?.state])).toEqual([
      [a3, 'done'],
      [b2, 'queued'],
      [c2, 'running'],
      [d2, 'done'],
      [e2, 'done'],
    ]);

    s.clock.ms = NOW;
    await s.retention.tick();

    const left = (await s.repo.retrainRequestList({ limit: 1000 })).map((v) => v.id).sort((x, y) => x - y);
    expect(left).toEqual([a3, d1, d2, e1, newShare, e2, b2, c2].sort((x, y) => x - y));
    expect([a1, a2, b1, c1, oldShare].filter((id) => left.includes(id))).toEqual([]);
    // The page says of each target what it said before.
    expect(await newestOf(s.repo, targets)).toEqual(shown);
    expect(await s.pruned()).toEqual({
      anomalies: 0,
      anomaly_feedback: 0,
      predictions: 0,
      models: 0,
      retrain_requests: 5,
    });
    expect(s.logged.filter((l) => l.msg.startsWith('detection retention'))).toEqual([
      expect.objectContaining({
        level: 30,
        msg: `detection retention pruned 0 closed anomalies with 0 feedback entries, 0 predictions, 0 model versions and 5 answered retrain requests from before ${new Date(NOW - 3 * DAY).toISOString()} (anomalies with feedback from before ${new Date(NOW - 8 * DAY).toISOString()})`,
      }),
    ]);

    // Three days on, d's older request is past the cutoff too; its newer stays, as e's newest and the waiting ones.
    s.clock.ms = NOW + 3 * DAY;
    await s.retention.tick();
    const later = (await s.repo.retrainRequestList({ limit: 1000 })).map((v) => v.id).sort((x, y) => x - y);
    expect(later).toEqual([a3, d2, e2, b2, c2].sort((x, y) => x - y));
    expect((await s.pruned()).retrain_requests).toBe(8);
  });

  it('prunes what a repeated "Retrain all" left a batch per tick, and starts again an hour after it started', async () => {
    const s = await setUp(30);
    const r = requests(s.repo);
    const fleet = Array.from({ length: 1500 }, (_, i) => `w{job="t${i}"}`);
    // "Retrain all" forty days ago while the other replica was away: every request expired.
    await r.queue(fleet, NOW - 40 * DAY);
    expect(await r.expire(NOW - 40 * DAY + 2 * HOUR)).toBe(1500);
    // Again thirty days ago, half an hour inside the retention when the prune starts: expired too.
    const recent = await r.queue(fleet.slice(0, 10), NOW - 30 * DAY + 1_800_000 - 2 * HOUR);
    expect(await r.expire(NOW - 30 * DAY + 1_800_000)).toBe(10);
    // And once more an hour ago: waiting, each now its target's newest.
    await r.queue(fleet, NOW - HOUR);

    s.clock.ms = NOW;
    await s.retention.tick();
    expect((await s.pruned()).retrain_requests).toBe(1000);
    expect(s.logged.filter((l) => l.msg.startsWith('detection retention'))).toEqual([]);
    await s.retention.tick();
    expect((await s.pruned()).retrain_requests).toBe(1500);
    expect(s.logged.filter((l) => l.msg.startsWith('detection retention pruned'))).toHaveLength(1);

    const statesOfRecent = async () =>
      (await Promise.all(fleet.slice(0, 10).map((target) => s.repo.retrainRequestList({ target, limit: 10 }))))
        .flat()
        .map((v) => (v.state === 'expired' ? v.id : v.state));
    const queuedAndRecent = fleet.slice(0, 10).flatMap((_, i) => ['queued', recent[i]]);
    expect(await statesOfRecent()).toEqual(queuedAndRecent);
    s.clock.ms = NOW + HOUR - 60_000;
    await s.retention.tick();
    expect(await statesOfRecent()).toEqual(queuedAndRecent);
    s.clock.ms = NOW + HOUR;
    await s.retention.tick();
    expect((await s.pruned()).retrain_requests).toBe(1510);
    expect(await statesOfRecent()).toEqual(Array(10).fill('queued'));
  });

  it('reads the oldest answered requests, and whether each is its target newest, from indexes', async () => {
    await setUp(30);
    const plan = await opened.plan();
    expect(plan).toContain('retrain_requests_answered');
    expect(plan).toContain('retrain_requests_target');
    // In the answered index's order, reading no more than the batch: no sort, no scan of the table.
    expect(plan).not.toMatch(/TEMP B-TREE|Sort|Seq Scan|SCAN r\b/);
  });
});
