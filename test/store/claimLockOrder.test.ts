import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { createPool, DEFAULT_POOL_LIMITS } from '../../src/server/store/postgres/pool';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { T0 } from '../harness/anomalyRecords';
import { postgresForTests } from '../harness/postgres';

// Two replicas claiming the same retrain requests at once on PostgreSQL: each UPDATE locks the rows
// as its plan meets them. One plan reads the index (id order), another the table, where rows updated
// since sit after the others; each then waits for a row the other holds, and PostgreSQL fails one with
// "deadlock detected" (seen about once in 80 rounds of retrainRequests' same-moment race). Here the
// two plans are forced apart, and a third connection holds the lowest id until both claims wait.
const postgres = postgresForTests();
const pools: pg.Pool[] = [];
let store: PostgresStore | undefined;
afterEach(async () => {
  for (const pool of pools.splice(0)) {
    await pool.end();
  }
  await store?.close();
  store = undefined;
});

it('gives every request to one of two replicas whose claims meet the rows in opposite orders, without a deadlock', async () => {
  const url = await postgres().createDatabase('claimorder');
  store = await openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 2 }, now: () => T0 });
  const repository = (options: string) => {
    // The store's own pool (its type parsers), one connection, with the planner's settings in the URL.
    const pool = createPool(
      `${url}?options=${encodeURIComponent(options)}`,
      { ...DEFAULT_POOL_LIMITS, maxConnections: 1 },
      () => undefined
    );
    pools.push(pool);
    return new PostgresPipelineRepository(pool, 'claimorder', 2, () => T0);
  };
  const byIndex = repository('-c enable_seqscan=off');
  const byTable = repository('-c enable_indexscan=off -c enable_bitmapscan=off -c enable_tidscan=off');
  const base = new PostgresPipelineRepository(store.pool, store.where, 3, () => T0);
  await base.queueRetraining(
    Array.from({ length: 300 }, (_, i) => ({
      replica: 'pod-z',
      watch: 'w',
      target: `w{job="${i}"}`,
      requestedBy: 'pod-z',
      requestedAt: T0,
    }))
  );
  const ids = (await base.takeableRetraining({ replica: 'pod-a', lapsedBefore: T0 })).map((r) => r.id);
  // The low half rewritten: in the table, after the high half.
  await store.pool.query('UPDATE retrain_requests SET requested_by = requested_by WHERE id <= $1', [ids[149]]);

  const holder = await store.pool.connect();
  const watcher = await store.pool.connect();
  const waitingOnLocks = async (n: number) => {
    // Counted round trips, not a clock: each lets the claims move on.
    for (let polls = 0; polls < 100_000; polls++) {
      const { rows } = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
      );
      if (rows[0].n >= n) {
        return;
      }
    }
    throw new Error(`${n} claims never waited on a lock`);
  };
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM retrain_requests WHERE id = $1 FOR UPDATE', [ids[0]]);
    const claim = { at: T0, lapsedBefore: T0 };
    const a = byIndex.claimRetraining(ids, { replica: 'pod-a', ...claim });
    await waitingOnLocks(1);
    const b = byTable.claimRetraining(ids, { replica: 'pod-b', ...claim });
    await waitingOnLocks(2);
    await holder.query('COMMIT');
    const [byA, byB] = await Promise.all([a, b]);
    expect(byA.filter((id) => byB.includes(id))).toEqual([]);
    expect([...byA, ...byB].sort((x, y) => x - y)).toEqual(ids);
  } finally {
    holder.release();
    watcher.release();
  }
});
