import pg from 'pg';
import type { HealingTrigger, PlannedAction } from '../../src/contract/healing';
import { triggerKey } from '../../src/server/healing/store/actions';
import type { ClaimDecision } from '../../src/server/healing/store/repositories';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { MigrationError } from '../../src/server/store/migrate';
import {
  migratePostgres,
  openPostgresStore,
  postgresMigrations,
  proposalKey,
  StoredRowError,
  StoreUnavailableError,
  type PostgresStore,
} from '../../src/server/store/postgres';
import { startPostgres, type RunningPostgres } from '../harness/postgres';
import { freePort } from '../harness/prometheus';

// Against a real PostgreSQL (Debian's, a throwaway cluster per file): what must hold across
// processes, each replica being its own pool.
let server: RunningPostgres;
const opened: Array<{ close(): Promise<void> }> = [];
let databases = 0;
// One key for every replica of a test, as FP_SECRET_KEY is shared in production.
const secrets = ephemeralSecretBox();

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const s of opened.splice(0)) {
    await s.close().catch(() => undefined);
  }
  await server?.stop();
}, 120_000);

async function freshDatabase(): Promise<string> {
  return server.createDatabase(`t${++databases}`);
}

async function replicas(url: string, count: number, maxConnections = 10): Promise<PostgresStore[]> {
  const stores = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      openPostgresStore(url, { secrets, limits: { maxConnections }, replica: `replica-${i}` })
    )
  );
  opened.push(...stores);
  return stores;
}

const trigger: HealingTrigger = {
  source: 'anomaly',
  id: 1,
  watch: 'memory',
  labels: { pod: 'shop-0' },
  severity: 'critical',
  startedAt: 1_000,
};
const scale: PlannedAction = {
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
  replicas: 4,
  ceiling: 10,
};

async function approvedAction(store: PostgresStore, target = 'deployment shop/cart'): Promise<number> {
  await store.healing.actions.openTrigger(trigger, 1_000, () => undefined);
  const id = await store.healing.actions.insert({
    triggerKey: triggerKey(trigger),
    policy: 'p',
    gate: 'approve',
    action: scale,
    target,
    namespace: 'shop',
    at: 1_000,
  });
  expect(id).toBeDefined();
  expect(await store.healing.actions.transition({ id: id!, from: ['proposed'], to: 'approved', at: 2_000 })).toBe(true);
  return id!;
}

const WINDOW = { cooldownSince: 0, hourSince: 0 };
const execute = (): ClaimDecision => ({ to: 'executing', changes: { startedAt: 3_000 }, audit: [] });

describe('migrations', () => {
  it('applies each migration once when three replicas migrate at the same moment', async () => {
    const url = await freshDatabase();
    const pools = [1, 2, 3].map(() => new pg.Pool({ connectionString: url, max: 2 }));
    try {
      const ran = await Promise.all(pools.map((p) => migratePostgres(p, postgresMigrations)));
      // One replica applied everything; the others found it applied.
      expect(ran.map((r) => r.length).sort()).toEqual([0, 0, postgresMigrations.length]);
      const { rows } = await pools[0].query('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual(postgresMigrations.map((m) => m.id));
      expect(await migratePostgres(pools[0], postgresMigrations)).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  }, 60_000);

  it('rolls a failed migration back whole, and refuses a database written by a newer version', async () => {
    const url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const broken = { id: 1, name: 'broken', sql: 'CREATE TABLE half (x INT); SELECT no_such_function();' };
      await expect(migratePostgres(pool, [broken])).rejects.toThrow(MigrationError);
      const tables = await pool.query(`SELECT to_regclass('half') AS t`);
      expect(tables.rows[0].t).toBeNull();
      expect((await pool.query('SELECT COUNT(*)::int AS n FROM schema_migrations')).rows[0].n).toBe(0);

      await migratePostgres(pool, [...postgresMigrations, { id: 99, name: 'future', sql: 'SELECT 1' }]);
      await expect(migratePostgres(pool, postgresMigrations)).rejects.toThrow(
        'the database has migrations this backend does not know (99): it was written by a newer version'
      );
      // The advisory lock was given back: another migration run does not hang.
      expect(await migratePostgres(pool, [...postgresMigrations, { id: 99, name: 'future', sql: 'SELECT 1' }])).toEqual(
        []
      );
    } finally {
      await pool.end();
    }
  }, 60_000);

  it('migration 8 turns the text ids of anomaly triggers into numbers, leaving alerts and other text as they were', async () => {
    const url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      // A database the version before migration 8 wrote: every trigger id text.
      await migratePostgres(
        pool,
        postgresMigrations.filter((m) => m.id < 8)
      );
      const rows: Array<[string, 'anomaly' | 'alert', string]> = [
        ['anomaly:42', 'anomaly', '42'],
        ['anomaly:7#superseded-1', 'anomaly', '7'],
        ['alert:12345', 'alert', '12345'],
        ['anomaly:a1', 'anomaly', 'a1'],
      ];
      for (const [key, source, id] of rows) {
        await pool.query('INSERT INTO healing_triggers (key, source, trigger, opened_at) VALUES ($1, $2, $3, 0)', [
          key,
          source,
          JSON.stringify({
            source,
            id,
            watch: 'memory',
            labels: { pod: 'shop-0' },
            severity: 'high',
            startedAt: 1_000,
          }),
        ]);
      }
      expect(
        await migratePostgres(
          pool,
          postgresMigrations.filter((m) => m.id <= 8)
        )
      ).toEqual([8]);
      const [store] = await replicas(url, 1);
      const { actions } = store.healing;
      expect((await actions.trigger('anomaly:42'))?.trigger.id).toBe(42);
      expect((await actions.trigger('anomaly:7#superseded-1'))?.trigger.id).toBe(7);
      // An alert's fingerprint stays text even when it looks like a number.
      expect((await actions.trigger('alert:12345'))?.trigger.id).toBe('12345');
      // Text the pipeline never issued is not guessed at: reading it names the row.
      await expect(actions.trigger('anomaly:a1')).rejects.toThrow(StoredRowError);
      await expect(actions.trigger('anomaly:a1')).rejects.toThrow(
        /^healing_triggers row .*is invalid at trigger\.id: /
      );
    } finally {
      await pool.end();
    }
  }, 60_000);

  it('migration 11 gives old audit entries the target of the anomaly their trigger id names, the log stays append-only, and migration 12 counts them per target', async () => {
    const url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await migratePostgres(
        pool,
        postgresMigrations.filter((m) => m.id < 11)
      );
      const anomaly = async (target: string): Promise<number> =>
        (
          await pool.query(
            `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state,
               signals, direction, reasons, created_at, updated_at)
             VALUES ($1, 'w', '{}', 1, 1, 0.9, 'high', 'crash', 'closed', '[]', 'above', '[]', 0, 0) RETURNING id::int AS id`,
            [target]
          )
        ).rows[0].id;
      const cart = await anomaly('w{job="cart"}');
      const search = await anomaly('w{job="search"}');
      for (const [triggerId, message] of [
        [`${cart}`, 'cart'],
        [`${search}`, 'search'],
        [`${cart}`.padStart(16, '0'), 'an alert of padded digits'],
        [null, 'no trigger'],
      ]) {
        await pool.query(`INSERT INTO healing_audit (at, kind, trigger_id, message) VALUES (1, 'proposed', $1, $2)`, [
          triggerId,
          message,
        ]);
      }
      expect(
        await migratePostgres(
          pool,
          postgresMigrations.filter((m) => m.id <= 11)
        )
      ).toEqual([11]);
      const { rows } = await pool.query('SELECT message, target_id FROM healing_audit ORDER BY id');
      expect(rows).toEqual([
        { message: 'cart', target_id: 'w{job="cart"}' },
        { message: 'search', target_id: 'w{job="search"}' },
        { message: 'an alert of padded digits', target_id: null },
        { message: 'no trigger', target_id: null },
      ]);
      await expect(pool.query(`UPDATE healing_audit SET target_id = 'x'`)).rejects.toThrow(/append-only/);

      // Migration 12 counts each target's entries from those already there, then as entries are added.
      // Applies what is left from 12 on, whatever later migrations there are.
      expect(await migratePostgres(pool, postgresMigrations)).toEqual(
        postgresMigrations.filter((m) => m.id >= 12).map((m) => m.id)
      );
      const counts = async () =>
        (await pool.query('SELECT target_id, n::int AS n FROM healing_audit_target_counts ORDER BY target_id')).rows;
      expect(await counts()).toEqual([
        { target_id: 'w{job="cart"}', n: 1 },
        { target_id: 'w{job="search"}', n: 1 },
      ]);
      for (const target of ['w{job="cart"}', null, 'w{job="web"}']) {
        await pool.query(`INSERT INTO healing_audit (at, kind, target_id, message) VALUES (2, 'succeeded', $1, 'm')`, [
          target,
        ]);
      }
      expect(await counts()).toEqual([
        { target_id: 'w{job="cart"}', n: 2 },
        { target_id: 'w{job="search"}', n: 1 },
        { target_id: 'w{job="web"}', n: 1 },
      ]);
    } finally {
      await pool.end();
    }
  }, 60_000);
});

describe('idempotency keys', () => {
  it('refuses a second proposal of the same action, from another replica too, by a constraint of the table', async () => {
    const [a, b] = await replicas(await freshDatabase(), 2);
    await a.healing.actions.openTrigger(trigger, 1_000, () => undefined);
    const input = {
      triggerKey: triggerKey(trigger),
      policy: 'p',
      gate: 'approve' as const,
      action: scale,
      target: 'deployment shop/cart',
      namespace: 'shop',
      at: 1_000,
    };
    const [first, second] = await Promise.all([
      a.healing.actions.insert(input),
      b.healing.actions.insert({ ...input, at: 1_500 }),
    ]);
    expect([first, second].filter((id) => id !== undefined)).toHaveLength(1);
    // The constraint itself refuses it, whatever the code above it does.
    await expect(
      b.pool.query(
        `INSERT INTO healing_actions (idempotency_key, trigger_key, policy, gate, action_type, target, state, action, created_at, updated_at)
         VALUES ($1, $2, 'p', 'auto', 'scale', 't', 'proposed', '{}', 1, 1)`,
        [proposalKey({ triggerKey: input.triggerKey, type: 'scale', target: input.target }), input.triggerKey]
      )
    ).rejects.toMatchObject({ code: '23505', constraint: 'healing_actions_idempotency' });
    expect((await a.pool.query('SELECT COUNT(*)::int AS n FROM healing_actions')).rows[0].n).toBe(1);
  }, 60_000);
});

describe('claiming an action for execution', () => {
  it('gives one approved action to exactly one of 50 concurrent claims from 3 replicas', async () => {
    const stores = await replicas(await freshDatabase(), 3, 5);
    const id = await approvedAction(stores[0]);
    const claims = await Promise.all(
      Array.from({ length: 50 }, (_, i) => stores[i % 3].healing.actions.claim(id, 3_000 + i, WINDOW, execute))
    );
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    const stored = await stores[1].healing.actions.get(id);
    expect(stored).toMatchObject({ state: 'executing', startedAt: 3_000 });
    expect(stored!.claimedBy).toMatch(/^replica-[012]$/);
    // Claimed once, never again: not by a late claim, nor by a transition from a state it left.
    expect(await stores[2].healing.actions.claim(id, 9_000, WINDOW, execute)).toBeUndefined();
    expect(await stores[2].healing.actions.transition({ id, from: ['approved'], to: 'executing', at: 9_000 })).toBe(
      false
    );
  }, 60_000);
});

describe('the pool', () => {
  it('never holds more connections than its limit, however many calls wait', async () => {
    const url = await freshDatabase();
    const [store] = await replicas(url, 1, 3);
    const name = (await store.pool.query('SELECT current_database() AS d')).rows[0].d;
    const counts = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.pool.query<{ n: number }>(
          `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'failureprophet'`,
          [name]
        )
      )
    );
    expect(Math.max(...counts.map((c) => c.rows[0].n))).toBeLessThanOrEqual(3);
    expect(store.pool.totalCount).toBeLessThanOrEqual(3);
  }, 60_000);

  it('reconnects after the server restarts under it: the next call succeeds, a change reports its win once', async () => {
    const [store] = await replicas(await freshDatabase(), 1);
    const id = await approvedAction(store);
    await server.restart();
    // The idle connection the server ended may still be in the pool: the call that gets it runs
    // again on a new one. A change too, and its win is reported once (its token matches, not its state).
    expect(await store.healing.actions.transition({ id, from: ['approved'], to: 'cancelled', at: 3_000 })).toBe(true);
    expect(await store.healing.actions.get(id)).toMatchObject({ id, state: 'cancelled' });
    expect(await store.healing.actions.transition({ id, from: ['approved'], to: 'cancelled', at: 3_000 })).toBe(false);
    await store.ping();
  }, 120_000);

  it('hears of an idle connection the server closed instead of crashing, and connects afresh', async () => {
    const url = await freshDatabase();
    let heard: (err: Error) => void = () => undefined;
    const lost = new Promise<Error>((resolve) => (heard = resolve));
    const store = await openPostgresStore(url, { secrets, onConnectionLost: (err) => heard(err) });
    opened.push(store);
    const id = await approvedAction(store);
    await server.restart();
    expect((await lost).message).toBe('terminating connection due to administrator command');
    expect(await store.healing.actions.claim(id, 4_000, WINDOW, execute)).toMatchObject({
      action: { id, state: 'approved' },
      to: 'executing',
    });
  }, 120_000);

  it('says which server it could not reach, without the password, when nothing listens', async () => {
    const port = await freePort();
    const attempt = openPostgresStore(`postgres://fp:s3cret@127.0.0.1:${port}/nowhere`, { secrets });
    await expect(attempt).rejects.toThrow(StoreUnavailableError);
    await expect(attempt).rejects.toThrow(
      `PostgreSQL at 127.0.0.1:${port}/nowhere is unavailable: connect ECONNREFUSED`
    );
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  }, 60_000);

  it('reads back rows through their schema: a corrupt one is an error naming the column', async () => {
    const [store] = await replicas(await freshDatabase(), 1);
    const id = await approvedAction(store);
    await store.pool.query(`UPDATE healing_actions SET action = '{"type": "reboot"}' WHERE id = $1`, [id]);
    await expect(store.healing.actions.get(id)).rejects.toThrow(StoredRowError);
    await expect(store.healing.actions.get(id)).rejects.toThrow(`healing_actions row ${id} is invalid at action.type`);
  }, 60_000);
});
