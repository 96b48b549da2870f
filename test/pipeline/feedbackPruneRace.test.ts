import pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { configSchema } from '../../src/server/config/schema';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { App } from '../../src/server/http/server';
import { Pipeline } from '../../src/server/pipeline/pipeline';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { openPostgresStore } from '../../src/server/store/postgres';
import type { Run } from '../../src/server/store/postgres/database';
import { pruneAnomalies } from '../../src/server/store/postgres/detectionPrune';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { anomalyRecord, cycleWrite } from '../harness/anomalyRecords';
import { postgresForTests, someoneWaitsOnALock } from '../harness/postgres';
import { AUTH, injectingApp } from '../harness/server';
import { TestClock } from './helpers';

// Feedback posted on an old closed anomaly at the moment detection retention prunes it, the two
// interleaved by hand: the prune wins and the operator hears the anomaly is gone (a 404 that says
// so, not a foreign-key 500, nothing half-written), or the feedback wins and the anomaly stays with
// it, so retraining reads it. Never a 200 for feedback the prune then deletes.

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00Z');
/** A 3-day retention: the anomaly ended 10 days ago and nobody spoke of it. */
const CUTOFFS = { before: NOW - 3 * DAY, labelledBefore: NOW - 3 * DAY };
const GONE =
  /^anomaly \d+ is gone \(closed anomalies older than FP_DETECTION_RETENTION_DAYS are pruned\): the feedback was not recorded$/;

const secrets = ephemeralSecretBox();
const postgres = postgresForTests();
let round = 0;

interface Opened {
  store: Store;
  rows(sql: string): Promise<unknown[]>;
  /** PostgreSQL: a connection of the store's own pool (its types: BIGINT read as numbers). */
  connect?: () => Promise<pg.PoolClient>;
}

const opens: Record<string, (clock: TestClock) => Promise<Opened>> = {
  SQLite: async (clock) => {
    const store = openSqliteDatabase(':memory:', clock.now, { secrets });
    return { store, rows: async (sql) => store.db.prepare(sql).all() };
  },
  PostgreSQL: async (clock) => {
    const url = await postgres().createDatabase(`feedbackrace${++round}`);
    const store = await openPostgresStore(url, { secrets, limits: { maxConnections: 6 }, now: clock.now });
    return { store, rows: async (sql) => (await store.pool.query(sql)).rows, connect: () => store.pool.connect() };
  },
};

/** The store's pipeline repository, with `afterRead` run once right after the first anomaly is read (the feedback's check that it exists). */
const readingThen = (repo: PipelineRepository, afterRead: () => Promise<void>): PipelineRepository => {
  let hook: (() => Promise<void>) | undefined = afterRead;
  return new Proxy(repo, {
    get(target, prop) {
      if (prop === 'anomaly') {
        return async (id: number) => {
          const found = await target.anomaly(id);
          const run = hook;
          hook = undefined;
          await run?.();
          return found;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
};

describe.each(Object.keys(opens))('feedback racing a detection prune on %s', (kind) => {
  let opened: Opened;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await opened.store.close();
  });

  /** The store with one anomaly that ended 10 days ago, its id, and the feedback route over `repo` (default: the store's). */
  const setUp = async (repoOf: (repo: PipelineRepository) => PipelineRepository = (r) => r) => {
    const clock = new TestClock(NOW - 10 * DAY);
    opened = await opens[kind](clock);
    const { store } = opened;
    const end = NOW - 10 * DAY;
    const [stored] = await store.pipeline.commitCycle(
      cycleWrite({ anomalies: [anomalyRecord(1, { start: end - 120_000, end })] })
    );
    clock.ms = NOW;
    const metrics = new Registry();
    const pipeline = new Pipeline({
      config: configSchema.parse({ watches: [] }),
      repository: repoOf(store.pipeline),
      logger: pino({ level: 'silent' }),
      metrics,
      clock,
    });
    app = await injectingApp({ store, metrics }, [pipelineRoutes(pipeline)]);
    const served = app;
    // Async: the request starts at once (inject's answer is lazy: it starts when awaited).
    const post = async () =>
      served.inject({
        method: 'POST',
        url: `/api/anomalies/${stored.id}/feedback`,
        headers: { ...AUTH, 'x-grafana-user': 'ada' },
        payload: { kind: 'false_positive', comment: 'a deploy' },
      });
    return { id: stored.id!, store, post };
  };

  const feedbackRows = () => opened.rows('SELECT anomaly_id, kind FROM anomaly_feedback');

  it('answers 404 saying the anomaly was pruned when the prune takes it between the check and the write', async () => {
    let pruned: unknown;
    const { id, store, post } = await setUp((repo) =>
      readingThen(repo, async () => {
        pruned = await repo.pruneAnomalies(CUTOFFS, 1000);
      })
    );

    const res = await post();
    expect(pruned).toEqual({ deleted: { anomaly_feedback: 0, anomalies: 1 }, more: false });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: expect.stringMatching(GONE) });
    expect(await store.pipeline.anomaly(id)).toBeUndefined();
    expect(await feedbackRows()).toEqual([]);
  });

  if (kind !== 'PostgreSQL') {
    return;
  }

  /** A second connection, a transaction begun on it: where the prune runs, held open by the test. */
  const heldTransaction = async () => {
    const client = await opened.connect!();
    await client.query('BEGIN');
    return client;
  };

  it("answers 404 when feedback waits on a prune's lock and the prune commits", async () => {
    const { id, store, post } = await setUp();
    const prune = await heldTransaction();
    // Outside a transaction: one would read pg_stat_activity once, as it was at its first look.
    const watcher = await opened.connect!();
    try {
      const run: Run = (sql, params) => prune.query(sql, params);
      expect(await pruneAnomalies(run, CUTOFFS, 1000)).toEqual({
        deleted: { anomaly_feedback: 0, anomalies: 1 },
        more: false,
      });
      // Uncommitted, the anomaly still reads as there: the feedback's check passes and its write waits.
      const answer = post();
      await someoneWaitsOnALock(watcher);
      await prune.query('COMMIT');

      const res = await answer;
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: expect.stringMatching(GONE) });
      expect(await store.pipeline.anomaly(id)).toBeUndefined();
      expect(await feedbackRows()).toEqual([]);
    } finally {
      prune.release();
      watcher.release();
    }
  });

  it('keeps the anomaly with feedback stored while the prune picked it, before it locked it', async () => {
    const { id, store, post } = await setUp();
    const prune = await heldTransaction();
    try {
      const locking = ' FOR UPDATE OF a SKIP LOCKED';
      let picks = 0;
      // The pick is one statement that reads what had committed when it began and locks its rows as it
      // finds them: played here as its read, the feedback's whole request, then its locks.
      const run: Run = async (sql, params) => {
        if (picks++ > 0) {
          return prune.query(sql, params);
        }
        expect(sql.endsWith(locking)).toBe(true);
        const picked = await prune.query(sql.slice(0, -locking.length), params);
        expect(picked.rows.map((r) => r.id)).toEqual([id]);
        const res = await post();
        expect(res.statusCode).toBe(200);
        await prune.query('SELECT id FROM anomalies WHERE id = ANY($1::bigint[]) FOR UPDATE', [[id]]);
        return picked;
      };
      expect(await pruneAnomalies(run, CUTOFFS, 1000)).toEqual({
        deleted: { anomaly_feedback: 0, anomalies: 0 },
        more: false,
      });
      await prune.query('COMMIT');

      expect(await feedbackRows()).toEqual([{ anomaly_id: id, kind: 'false_positive' }]);
      expect((await store.pipeline.anomaly(id))?.feedback).toEqual([
        expect.objectContaining({ kind: 'false_positive', user: 'ada', comment: 'a deploy' }),
      ]);
    } finally {
      prune.release();
    }
  });
});
