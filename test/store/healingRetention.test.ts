import pg from 'pg';
import {
  actionListQuerySchema,
  auditQuerySchema,
  type ActionState,
  type HealingTrigger,
  type PlannedAction,
} from '../../src/contract/healing';
import { triggerKey } from '../../src/server/healing/store/actionRows';
import type { PruneBatch } from '../../src/server/healing/store/prune';
import { migratePostgres, postgresMigrations } from '../../src/server/store/postgres';
import type { Store } from '../../src/server/store/store';
import { storesAt } from './storesAt';

// Retention on both stores: which healing records a prune deletes and which it keeps, batches that stay
// within their rows, the counts the lists read staying the real counts, and the audit log that refuses
// every change but the deletes of entries older than the cutoff a prune recorded.

const DAY = 86_400_000;
const T = 1_700_000_000_000;
const OLD = T - 40 * DAY;
const CUTOFF = T - 30 * DAY;
const RECENT = T - DAY;

interface Fixture {
  store: Store;
  rows(sql: string): Promise<unknown[]>;
  exec(sql: string): Promise<void>;
}

const at = storesAt(T, 'retention');

const sqlite = async (): Promise<Fixture> => {
  const store = at.sqlite();
  return {
    store,
    rows: async (sql) => store.db.prepare(sql).all(),
    exec: async (sql) => void store.db.exec(sql),
  };
};

const postgresAt = async (url: string): Promise<Fixture> => {
  const store = await at.postgresAt(url);
  return {
    store,
    rows: async (sql) => (await store.pool.query(sql)).rows,
    exec: async (sql) => void (await store.pool.query(sql)),
  };
};
const postgres = async () => postgresAt(await at.database());

let seq = 0;
const alert = (): HealingTrigger => ({
  source: 'alert',
  id: `fingerprint-${++seq}`,
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop' },
  severity: 'high',
  startedAt: OLD,
});
const scale = (name: string): PlannedAction => ({
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name },
  replicas: 4,
  ceiling: 10,
});
const notify: PlannedAction = { type: 'notify', message: 'cart is slow' };

interface Planned {
  /** The state it is moved to, when, and what it is: a scale unless a notification is asked for. */
  state: ActionState;
  at: number;
  notify?: boolean;
  holdNode?: string;
}

/** A trigger with its actions moved to their states, closed at `closedAt` unless it stays open. Its key and action ids. */
async function triggerWith(store: Store, planned: Planned[], closedAt?: number) {
  const actions = store.healing.actions;
  const t = alert();
  await actions.openTrigger(t, OLD, () => undefined);
  const ids: number[] = [];
  for (const [i, p] of planned.entries()) {
    const id = await actions.insert({
      triggerKey: triggerKey(t),
      policy: 'p',
      gate: 'approve',
      action: p.notify ? notify : scale(`w${i}`),
      target: p.notify ? 'notify' : `deployment shop/w${i}`,
      namespace: 'shop',
      at: OLD,
    });
    if (id === undefined) {
      throw new Error('not inserted');
    }
    if (p.state !== 'proposed') {
      await actions.transition({ id, from: ['proposed'], to: p.state, at: p.at, alongside: { holdNode: p.holdNode } });
    }
    ids.push(id);
  }
  if (closedAt !== undefined) {
    await actions.closeTrigger(triggerKey(t), closedAt);
  }
  return { key: triggerKey(t), ids };
}

/** Prunes finished records before CUTOFF batch after batch until none is left; the batches. */
async function pruneAll(prune: () => Promise<PruneBatch>): Promise<PruneBatch[]> {
  const batches: PruneBatch[] = [];
  do {
    batches.push(await prune());
  } while (batches[batches.length - 1].more && batches.length < 100);
  return batches;
}

const keys = async (f: Fixture) =>
  ((await f.rows('SELECT key FROM healing_triggers ORDER BY key')) as Array<{ key: string }>).map((r) => r.key);

/** Each count a trigger keeps equals the rows' real count (SQLite keeps per state, kind and target; PostgreSQL per target). */
async function expectTrueCounts(f: Fixture): Promise<void> {
  const pairs: Array<[string, string]> = [
    [
      'SELECT target_id, n FROM healing_audit_target_counts WHERE n <> 0 ORDER BY target_id',
      'SELECT target_id, COUNT(*) AS n FROM healing_audit WHERE target_id IS NOT NULL GROUP BY target_id ORDER BY target_id',
    ],
  ];
  if (f.store.kind === 'sqlite') {
    pairs.push(
      [
        'SELECT state, n FROM healing_action_counts WHERE n <> 0 ORDER BY state',
        'SELECT state, COUNT(*) AS n FROM healing_actions GROUP BY state ORDER BY state',
      ],
      [
        'SELECT kind, n FROM healing_audit_counts WHERE n <> 0 ORDER BY kind',
        'SELECT kind, COUNT(*) AS n FROM healing_audit GROUP BY kind ORDER BY kind',
      ]
    );
  }
  for (const [kept, real] of pairs) {
    expect(await f.rows(kept)).toEqual(await f.rows(real));
  }
  // No row left for a target without entries.
  expect(await f.rows('SELECT target_id FROM healing_audit_target_counts WHERE n <= 0')).toEqual([]);
}

/** Audit entries at `at`, of `kind`, each keeping its target (null: none), in one statement. */
async function entries(f: Fixture, at: number, kind: string, targets: Array<string | null>): Promise<void> {
  const values = targets.map((t) => `(${at}, '${kind}', ${t === null ? 'NULL' : `'${t}'`}, 'm')`).join(', ');
  await f.exec(`INSERT INTO healing_audit (at, kind, target_id, message) VALUES ${values}`);
}

const appendOnly = { message: expect.stringMatching(/append-only/) };
const forwardOnly = { message: expect.stringMatching(/only moves forward/) };

describe.each([
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
])('retention on %s', (_name, fixture) => {
  it('deletes finished actions with their closed triggers, and keeps whatever a trigger or a limit still needs', async () => {
    const f = await fixture();
    const { store } = f;
    const actions = store.healing.actions;
    const gone = [
      await triggerWith(store, [{ state: 'rejected', at: OLD }], OLD),
      // Every state an action never leaves, on one trigger.
      await triggerWith(
        store,
        (
          ['expired', 'dry_run', 'blocked', 'cancelled', 'superseded', 'failed', 'verified', 'not_recovered'] as const
        ).map((state) => ({ state, at: OLD })),
        OLD
      ),
      // A notification outside a ladder is never verified: done once it succeeded.
      await triggerWith(store, [{ state: 'succeeded', at: OLD, notify: true }], OLD),
      // An alert no policy matched: a trigger without actions.
      await triggerWith(store, [], OLD),
    ];
    const kept = {
      open: await triggerWith(store, [{ state: 'rejected', at: OLD }]),
      closedRecently: await triggerWith(store, [{ state: 'rejected', at: OLD }], RECENT),
      changedRecently: await triggerWith(store, [{ state: 'failed', at: RECENT }], OLD),
      oneStillOpen: await triggerWith(
        store,
        [
          { state: 'rejected', at: OLD },
          { state: 'awaiting_approval', at: OLD },
        ],
        OLD
      ),
      awaitingVerification: await triggerWith(store, [{ state: 'succeeded', at: OLD }], OLD),
      holdsNode: await triggerWith(store, [{ state: 'failed', at: OLD, holdNode: 'n1' }], OLD),
      openBreaker: await triggerWith(store, [{ state: 'verified', at: OLD }], OLD),
    };
    await store.healing.breakers.open(
      {
        target: 'deployment shop/w0',
        actionType: 'scale',
        repeats: 3,
        windowSeconds: 3600,
        actionId: kept.openBreaker.ids[0],
        at: OLD,
      },
      () => ({ at: OLD, kind: 'breaker_opened', message: 'opened' })
    );
    // A superseded action archived under its trigger's archive key: kept while that trigger is.
    const superseded = await triggerWith(store, [{ state: 'superseded', at: OLD }]);
    await actions.archiveTriggerKey(superseded.ids[0], OLD);
    const before = await keys(f);

    const batches = await pruneAll(() => actions.pruneFinished(CUTOFF, 1000));
    expect(batches).toEqual([{ deleted: { healing_actions: 10, healing_triggers: gone.length }, more: false }]);
    expect(await keys(f)).toEqual(before.filter((k) => !gone.some((g) => g.key === k)));
    for (const { ids } of gone) {
      for (const id of ids) {
        expect(await actions.get(id)).toBeUndefined();
      }
    }
    for (const { ids } of Object.values(kept)) {
      for (const id of ids) {
        expect(await actions.get(id)).toBeDefined();
      }
    }
    expect(await actions.heldNodes()).toEqual([{ node: 'n1', actionId: kept.holdsNode.ids[0] }]);
    expect((await store.healing.breakers.listOpen()).map((b) => b.actionId)).toEqual([kept.openBreaker.ids[0]]);
    // The trigger kept still knows its action: proposing it again is refused as before.
    expect(
      await actions.insert({
        triggerKey: kept.open.key,
        policy: 'p',
        gate: 'approve',
        action: scale('w0'),
        target: 'deployment shop/w0',
        namespace: 'shop',
        at: T,
      })
    ).toBeUndefined();
    await expectTrueCounts(f);
    expect((await actions.list(actionListQuerySchema.parse({ state: 'rejected' }))).total).toBe(3);

    // The superseded action's archive goes once its trigger is gone, in the prune after the one that took it.
    await actions.closeTrigger(superseded.key, OLD + 1);
    expect(await actions.pruneFinished(CUTOFF, 1000)).toEqual({
      deleted: { healing_actions: 0, healing_triggers: 1 },
      more: false,
    });
    expect(await actions.get(superseded.ids[0])).toBeDefined();
    expect(await actions.pruneFinished(CUTOFF, 1000)).toEqual({
      deleted: { healing_actions: 1, healing_triggers: 1 },
      more: false,
    });
    expect(await actions.get(superseded.ids[0])).toBeUndefined();
    await expectTrueCounts(f);
  });

  it('prunes in batches of at most the rows asked for, each trigger whole, oldest first', async () => {
    const f = await fixture();
    const actions = f.store.healing.actions;
    for (let i = 0; i < 12; i++) {
      await triggerWith(f.store, [{ state: 'rejected', at: OLD }], OLD + i);
    }
    for (let i = 0; i < 3; i++) {
      await triggerWith(f.store, [], OLD + 100 + i);
    }
    const batches = await pruneAll(() => actions.pruneFinished(CUTOFF, 10));
    // Five triggers of two rows each fill a batch; the last batch holds the rest.
    expect(batches.map((b) => b.deleted)).toEqual([
      { healing_actions: 5, healing_triggers: 5 },
      { healing_actions: 5, healing_triggers: 5 },
      { healing_actions: 2, healing_triggers: 5 },
    ]);
    expect(batches.map((b) => b.more)).toEqual([true, true, false]);
    expect(await keys(f)).toEqual([]);
    await expectTrueCounts(f);

    await entries(
      f,
      OLD,
      'proposed',
      Array.from({ length: 2500 }, (_, i) => `w{i="${i % 7}"}`)
    );
    await entries(f, RECENT, 'proposed', ['w{i="1"}']);
    const audit = await pruneAll(() => f.store.healing.audit.pruneBefore(CUTOFF, 1000));
    expect(audit).toEqual([
      { deleted: { healing_audit: 1000 }, more: true },
      { deleted: { healing_audit: 1000 }, more: true },
      { deleted: { healing_audit: 500 }, more: false },
    ]);
    expect(await f.rows('SELECT target_id, at FROM healing_audit')).toEqual([{ target_id: 'w{i="1"}', at: RECENT }]);
    await expectTrueCounts(f);
  });

  it('keeps the audit log append-only against everything but the deletes of entries before the recorded cutoff', async () => {
    const f = await fixture();
    const audit = f.store.healing.audit;
    await entries(f, OLD, 'proposed', ['w{job="cart"}', 'w{job="cart"}', 'w{job="search"}', null]);
    await entries(f, RECENT, 'succeeded', ['w{job="cart"}', null]);
    // Nothing may go before a prune records a cutoff.
    await expect(f.exec(`DELETE FROM healing_audit WHERE at = ${OLD}`)).rejects.toMatchObject(appendOnly);

    expect(await audit.pruneBefore(CUTOFF, 1000)).toEqual({ deleted: { healing_audit: 4 }, more: false });
    expect(await f.rows('SELECT id, audit_cutoff FROM healing_retention')).toEqual([{ id: 1, audit_cutoff: CUTOFF }]);
    const page = await audit.list(auditQuerySchema.parse({ target: 'w{job="cart"}' }));
    expect(page.items.map((e) => e.at)).toEqual([RECENT]);
    expect(page.total).toBe(1);
    expect((await audit.list(auditQuerySchema.parse({ kind: 'proposed' }))).total).toBe(0);
    expect((await audit.list(auditQuerySchema.parse({}))).total).toBe(2);
    await expectTrueCounts(f);

    // Entries from the cutoff on stay whoever asks; an entry before it may go.
    await expect(f.exec('DELETE FROM healing_audit')).rejects.toMatchObject(appendOnly);
    await expect(f.exec(`UPDATE healing_audit SET message = 'rewritten' WHERE at = ${RECENT}`)).rejects.toMatchObject(
      appendOnly
    );
    await entries(f, OLD, 'proposed', ['w{job="cart"}']);
    await f.exec(`DELETE FROM healing_audit WHERE at < ${CUTOFF}`);
    await expectTrueCounts(f);
    expect(await f.rows('SELECT COUNT(*) AS n FROM healing_audit')).toEqual([{ n: 2 }]);

    // The cutoff never moves back: a prune with an earlier one leaves it, and a hand edit is refused.
    expect(await audit.pruneBefore(OLD, 1000)).toEqual({ deleted: { healing_audit: 0 }, more: false });
    expect(await f.rows('SELECT audit_cutoff FROM healing_retention')).toEqual([{ audit_cutoff: CUTOFF }]);
    await expect(f.exec('UPDATE healing_retention SET audit_cutoff = 0')).rejects.toMatchObject(forwardOnly);
    await expect(f.exec('DELETE FROM healing_retention')).rejects.toMatchObject(forwardOnly);
    await expect(
      f.exec(
        f.store.kind === 'sqlite'
          ? 'INSERT OR REPLACE INTO healing_retention (id, audit_cutoff) VALUES (1, 0)'
          : 'TRUNCATE healing_retention'
      )
    ).rejects.toMatchObject(forwardOnly);
    // Matched by message: the native driver's error may come from another realm than the test's Error.
    await expect(f.exec('INSERT INTO healing_retention (id, audit_cutoff) VALUES (2, 0)')).rejects.toMatchObject({
      message: expect.stringMatching(/only moves forward|violates check constraint/),
    });
    if (f.store.kind === 'postgres') {
      await expect(f.exec('TRUNCATE healing_audit')).rejects.toMatchObject(appendOnly);
    }
    expect(await f.rows('SELECT id, audit_cutoff FROM healing_retention')).toEqual([{ id: 1, audit_cutoff: CUTOFF }]);
    // Moving it forward by hand is what a prune does.
    await f.exec(`UPDATE healing_retention SET audit_cutoff = ${T}`);
    await f.exec(`DELETE FROM healing_audit WHERE at = ${RECENT}`);
    expect(await f.rows('SELECT COUNT(*) AS n FROM healing_audit')).toEqual([{ n: 0 }]);
    await expectTrueCounts(f);
  });
});

it('PostgreSQL migration 13 keeps the entries and counts a database had, and lets only a prune delete', async () => {
  const url = await at.server().createDatabase('retention_migration');
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migratePostgres(
      pool,
      postgresMigrations.filter((m) => m.id < 13)
    );
    for (const [at, target] of [
      [OLD, 'w{job="cart"}'],
      [OLD, 'w{job="cart"}'],
      [OLD, null],
      [RECENT, 'w{job="cart"}'],
      [OLD, 'w{job="search"}'],
    ] as const) {
      await pool.query(`INSERT INTO healing_audit (at, kind, target_id, message) VALUES ($1, 'proposed', $2, 'm')`, [
        at,
        target,
      ]);
    }
    await expect(pool.query('DELETE FROM healing_audit')).rejects.toThrow(/append-only/);
    expect(
      await migratePostgres(
        pool,
        postgresMigrations.filter((m) => m.id <= 13)
      )
    ).toEqual([13]);
    const counts = async () =>
      (await pool.query('SELECT target_id, n::int AS n FROM healing_audit_target_counts ORDER BY target_id')).rows;
    expect(await counts()).toEqual([
      { target_id: 'w{job="cart"}', n: 3 },
      { target_id: 'w{job="search"}', n: 1 },
    ]);
    expect((await pool.query('SELECT id FROM healing_retention')).rows).toEqual([]);
    await expect(pool.query('DELETE FROM healing_audit')).rejects.toThrow(/append-only/);
    await expect(pool.query(`UPDATE healing_audit SET message = 'x'`)).rejects.toThrow(/append-only/);

    const f = await postgresAt(url);
    expect(await f.store.healing.audit.pruneBefore(CUTOFF, 1000)).toEqual({
      deleted: { healing_audit: 4 },
      more: false,
    });
    expect(await counts()).toEqual([{ target_id: 'w{job="cart"}', n: 1 }]);
    await expectTrueCounts(f);
  } finally {
    await pool.end();
  }
});
