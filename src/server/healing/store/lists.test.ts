import type Database from 'better-sqlite3';
import {
  actionListQuerySchema,
  auditQuerySchema,
  type ActionState,
  type HealingTrigger,
  type PlannedAction,
} from '../../../contract/healing';
import { migrate } from '../../store/migrate';
import { migrations } from '../../store/migrations';
import { ephemeralSecretBox } from '../../store/secrets';
import { openSqliteDatabase, type SqliteStore } from '../../store/sqlite';
import { triggerKey } from './actionRows';

// The healing lists (GET /api/actions, GET /api/audit) with many rows: each page read from an
// index in order, its total from the counts migration 0010 keeps rather than a count of every
// matching row, and those totals equal to a count whatever was written.

const T = 1_700_000_000_000;
const STATES: ActionState[] = ['awaiting_approval', 'rejected', 'succeeded', 'failed'];
const scale = (name: string): PlannedAction => ({
  type: 'scale',
  target: { kind: 'deployment', namespace: 'shop', name },
  replicas: 4,
  ceiling: 10,
});

/** `n` actions on their own triggers, settled in turn into STATES, each with its audit entries. */
async function fill(store: SqliteStore, n: number, from = 0): Promise<void> {
  const { actions } = store.healing;
  for (let i = from; i < from + n; i++) {
    const name = `web-${i % 7}`;
    const trigger: HealingTrigger = {
      source: 'anomaly',
      id: i + 1,
      watch: 'memory',
      labels: { namespace: 'shop', deployment: name },
      severity: 'critical',
      object: { kind: 'deployment', namespace: 'shop', name },
      startedAt: T + i,
    };
    await actions.openTrigger(trigger, T + i, () => undefined);
    // The anomaly that raised it (ids given in the same order: trigger i + 1 is anomaly i + 1).
    store.db
      .prepare(
        `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state,
           signals, direction, reasons, created_at, updated_at)
         VALUES (?, 'memory', '{}', ?, ?, 0.9, 'critical', 'crash', 'closed', '[]', 'above', '[]', 0, 0)`
      )
      .run(`memory{deployment="${name}"}`, T + i, T + i);
    const id = await actions.insert(
      {
        triggerKey: triggerKey(trigger),
        policy: `p${i % 3}`,
        gate: 'approve',
        action: scale(name),
        target: `deployment shop/${name}`,
        namespace: 'shop',
        at: T + i,
      },
      (actionId) => ({ at: T + i, kind: 'proposed', actionId, triggerId: trigger.id, message: 'proposed' })
    );
    const to = STATES[i % STATES.length];
    const kind = to === 'awaiting_approval' ? 'waiting' : to;
    expect(
      await actions.transition({
        id: id!,
        from: ['proposed'],
        to,
        at: T + i,
        alongside: { audit: [{ at: T + i, kind, message: to }] },
      })
    ).toBe(true);
  }
}

interface Ran {
  sql: string;
  params: unknown[];
}

/** Records every statement the store runs from now on, with its parameters; `explain` gives a statement's plan. */
function recordStatements(db: Database.Database): { ran: Ran[]; explain: (r: Ran) => string[] } {
  const ran: Ran[] = [];
  const prepare = db.prepare.bind(db);
  const explain = ({ sql, params }: Ran) =>
    (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
  jest.spyOn(db, 'prepare').mockImplementation((sql: string) => {
    const statement = prepare(sql);
    const all = statement.all.bind(statement);
    const get = statement.get.bind(statement);
    return Object.assign(statement, {
      all: (...params: unknown[]) => (ran.push({ sql, params }), all(...params)),
      get: (...params: unknown[]) => (ran.push({ sql, params }), get(...params)),
    });
  });
  return { ran, explain };
}

const exactCount = (db: Database.Database, sql: string, params: unknown[] = []): number =>
  (db.prepare(sql).get(...params) as { n: number }).n;

describe('healing lists with many rows', () => {
  let store: SqliteStore;
  let ran: Ran[];
  let plan: (r: Ran) => string[];
  beforeAll(async () => {
    store = openSqliteDatabase(':memory:', () => T, { secrets: ephemeralSecretBox() });
    await fill(store, 400);
    store.db.exec('ANALYZE');
    ({ ran, explain: plan } = recordStatements(store.db));
  });
  afterAll(() => store.close());

  const actionForms: Array<[string, Record<string, unknown>]> = [
    ['no filter', {}],
    ['one state (the pending list)', { state: 'awaiting_approval', limit: '100' }],
    ['the history states, a later page', { state: 'proposed,rejected,succeeded,failed,expired', offset: '100' }],
    ['the history states, an older page', { state: 'proposed,rejected,succeeded,failed,expired', cursor: 'o200' }],
    ['the history states, a newer page', { state: 'proposed,rejected,succeeded,failed,expired', cursor: 'n200' }],
    ['the pending list, an older page', { state: 'awaiting_approval', cursor: 'o200' }],
  ];
  const auditForms: Array<[string, Record<string, unknown>]> = [
    ['no filter', {}],
    ['one kind, a later page', { kind: 'succeeded', offset: '40' }],
    ['an older page', { cursor: 'o300' }],
    ['one kind, a newer page', { kind: 'succeeded', cursor: 'n300' }],
  ];

  // A statement that walks a whole list table costs the table, whatever the page: only the page's
  // own read (ORDER BY ... LIMIT, which stops after its rows) may scan one, and nothing may sort.
  it.each([
    ...actionForms.map(
      ([name, q]) => [`actions, ${name}`, () => store.healing.actions.list(actionListQuerySchema.parse(q))] as const
    ),
    ...auditForms.map(
      ([name, q]) => [`audit, ${name}`, () => store.healing.audit.list(auditQuerySchema.parse(q))] as const
    ),
  ])('%s: reads its page in index order and its total without walking the table', async (name, list) => {
    ran.length = 0;
    await list();
    expect(ran.length).toBeGreaterThanOrEqual(2);
    for (const statement of ran) {
      const lines = plan(statement);
      expect(lines.join('\n')).not.toMatch(/TEMP B-TREE/);
      if (lines.some((l) => /^SCAN (a|healing_actions|healing_audit)\b/.test(l))) {
        expect(statement.sql).toMatch(/ORDER BY [\w.]+ (DESC|ASC) LIMIT \?/);
      }
      // A page after a cursor starts at its id: the rows before it are not read.
      if (/ORDER BY [\w.]+ (DESC|ASC) LIMIT/.test(statement.sql) && /older|newer/.test(name)) {
        expect(lines.join('\n')).toMatch(/(rowid|id)[<>]\?/);
      }
    }
  });

  // The target each entry of an anomaly keeps (migration 0015), sought with its ids in its index: a page
  // reads its own rows (from the cursor on), never the log, nor the target's anomalies, nor a sort.
  it.each([
    ['the first page', {}, /\(target_id=\?\)/],
    ['an older page', { cursor: 'o300' }, /\(target_id=\? AND rowid<\?\)/],
    ['a newer page', { cursor: 'n300' }, /\(target_id=\? AND rowid>\?\)/],
    ['one kind', { kind: 'proposed' }, /\(target_id=\?\)/],
  ])("a page of one target's entries, %s, seeks them in the target's index", async (_name, q, seek) => {
    ran.length = 0;
    const page = await store.healing.audit.list(auditQuerySchema.parse({ target: 'memory{deployment="web-3"}', ...q }));
    expect(page.items.length).toBeGreaterThan(0);
    expect(ran).toHaveLength(2);
    const [read, count] = ran.map((r) => plan(r).join('\n'));
    expect(read).toMatch(/^SEARCH healing_audit USING INDEX healing_audit_target /);
    expect(read).toMatch(seek);
    // The target alone: its total is the one row migration 0016 keeps for it; with a kind, a count in its index.
    expect(count).toMatch(
      'kind' in q
        ? /^SEARCH healing_audit USING (COVERING )?INDEX healing_audit_target \(target_id=\?\)/
        : /^SEARCH healing_audit_target_counts USING PRIMARY KEY \(target_id=\?\)$/
    );
    for (const lines of [read, count]) {
      expect(lines).not.toMatch(/anomalies|SCAN|TEMP B-TREE/);
    }
  });

  // The target its trigger keeps (migration 0016), sought in its index: a page reads the target's
  // triggers and their actions, never the target computed from each joined trigger's labels.
  it("a page of the actions one target's anomalies raised seeks its triggers in their index", async () => {
    const target = 'memory{deployment="web-3",namespace="shop"}';
    for (const q of [{}, { cursor: 'o300' }]) {
      ran.length = 0;
      const page = await store.healing.actions.list(actionListQuerySchema.parse({ triggerTarget: target, ...q }));
      expect(page.items.length).toBeGreaterThan(0);
      expect(page.items.every((a) => a.trigger.labels.deployment === 'web-3')).toBe(true);
      expect(ran.map((r) => r.sql).join('\n')).not.toMatch(/fp_trigger_target/);
    }
    ran.length = 0;
    await store.healing.actions.list(actionListQuerySchema.parse({ triggerTarget: target }));
    for (const statement of ran) {
      expect(plan(statement).join('\n')).toMatch(/SEARCH t USING INDEX healing_triggers_target \(trigger_target=\?\)/);
    }
  });

  // An export reads each of the target's entries once, a page at a time from the last one's id: its cost
  // is the target's entries, where reading through the anomalies cost pages x anomalies.
  it("exports one target's entries, each page sought from the last one's id", async () => {
    const target = 'memory{deployment="web-3"}';
    // As the read through the anomalies matched them: the entries whose trigger id is one of theirs.
    const expected = exactCount(
      store.db,
      `SELECT COUNT(*) AS n FROM healing_audit a JOIN anomalies n ON CAST(n.id AS TEXT) = a.trigger_id WHERE n.target_id = ?`,
      [target]
    );
    ran.length = 0;
    const exported: number[] = [];
    for await (const entry of store.healing.audit.iterate(auditQuerySchema.parse({ target, format: 'csv' }))) {
      exported.push(entry.id);
    }
    expect(exported).toHaveLength(expected);
    expect(ran).toHaveLength(1);
    expect(plan(ran[0]).join('\n')).toMatch(
      /^SEARCH healing_audit USING INDEX healing_audit_target \(target_id=\? AND rowid>\?\)$/
    );
  });

  it('a page of one audit kind reads that kind from its index', async () => {
    ran.length = 0;
    await store.healing.audit.list(auditQuerySchema.parse({ kind: 'failed' }));
    const page = ran.find((r) => /LIMIT \? OFFSET \?/.test(r.sql));
    expect(plan(page!).join('\n')).toMatch(/SEARCH healing_audit USING INDEX healing_audit_kind \(kind=\?\)/);
  });

  // A list worker's page cache is emptied by any other connection's commit: a page of open actions is
  // then read again, from the partial indexes of migration 0013 alone (their few pages), never the tables.
  it.each([
    ['the pending list', { state: 'awaiting_approval', limit: '100' }],
    ['every open state', { state: 'proposed,awaiting_approval,approved,executing' }],
  ])('%s: reads its actions and their triggers from the indexes of open rows', async (_name, q) => {
    ran.length = 0;
    await store.healing.actions.list(actionListQuerySchema.parse(q));
    const page = ran.find((r) => /LIMIT \? OFFSET \?/.test(r.sql));
    const lines = plan(page!).join('\n');
    expect(lines).toMatch(/SEARCH a USING COVERING INDEX healing_actions_open \(state=\?\)/);
    // "USING INDEX" (not COVERING) for the trigger: its table row is sought only if a column the index
    // lacks is read, and none is (closed_at IS NULL is the index's own condition).
    expect(lines).toMatch(/SEARCH o USING INDEX healing_triggers_open \(key=\?\)/);
  });

  it('lists each action with its trigger as it is now, open or closed', async () => {
    const { actions } = store.healing;
    const [first, second] = (await actions.list(actionListQuerySchema.parse({ state: 'awaiting_approval' }))).items;
    await actions.closeTrigger(first.triggerKey, T);
    await actions.openTrigger({ ...second.trigger, severity: 'low' }, T, () => undefined);
    for (const q of [{ state: 'awaiting_approval' }, {}, { triggerId: String(second.trigger.id) }]) {
      const items = (await actions.list(actionListQuerySchema.parse(q))).items;
      for (const action of items) {
        expect(action.trigger).toEqual((await actions.trigger(action.triggerKey))!.trigger);
      }
      expect(items.find((a) => a.id === second.id)?.trigger.severity).toBe('low');
    }
    expect((await actions.list(actionListQuerySchema.parse({ state: 'awaiting_approval' }))).items[0]).toEqual(
      await actions.get(first.id)
    );
    await actions.openTrigger(first.trigger, T, () => undefined);
    await actions.openTrigger(second.trigger, T, () => undefined);
  });

  it('gives the totals a count gives, for every filter, as actions move and entries are added', async () => {
    const { actions, audit } = store.healing;
    const check = async () => {
      for (const states of [
        [],
        ['awaiting_approval'],
        ['succeeded', 'failed'],
        ['succeeded', 'succeeded'],
        ['executing'],
      ]) {
        const q = actionListQuerySchema.parse(states.length ? { state: states.join(',') } : {});
        const unique = [...new Set(states)];
        const expected = exactCount(
          store.db,
          `SELECT COUNT(*) AS n FROM healing_actions${unique.length ? ` WHERE state IN (${unique.map(() => '?').join(', ')})` : ''}`,
          unique
        );
        expect((await actions.list(q)).total).toBe(expected);
      }
      const byPolicy = await actions.list(actionListQuerySchema.parse({ state: 'succeeded', policy: 'p1' }));
      expect(byPolicy.total).toBe(
        exactCount(store.db, `SELECT COUNT(*) AS n FROM healing_actions WHERE state = 'succeeded' AND policy = 'p1'`)
      );
      for (const kinds of [[], ['proposed'], ['succeeded', 'waiting'], ['kill_switch']]) {
        const q = auditQuerySchema.parse(kinds.length ? { kind: kinds.join(',') } : {});
        const expected = exactCount(
          store.db,
          `SELECT COUNT(*) AS n FROM healing_audit${kinds.length ? ` WHERE kind IN (${kinds.map(() => '?').join(', ')})` : ''}`,
          kinds
        );
        expect((await audit.list(q)).total).toBe(expected);
      }
      for (const q of [
        { target: 'memory{deployment="web-3"}' },
        { target: 'memory{deployment="web-3"}', kind: 'proposed' },
      ]) {
        const kinds = 'kind' in q ? ` AND kind = 'proposed'` : '';
        expect((await audit.list(auditQuerySchema.parse(q))).total).toBe(
          exactCount(store.db, `SELECT COUNT(*) AS n FROM healing_audit WHERE target_id = ?${kinds}`, [q.target])
        );
      }
      expect((await audit.list(auditQuerySchema.parse({ target: 'memory{deployment="none"}' }))).total).toBe(0);
      const byUser = await audit.list(auditQuerySchema.parse({ kind: 'approved', user: 'ada' }));
      expect(byUser.total).toBe(
        exactCount(store.db, `SELECT COUNT(*) AS n FROM healing_audit WHERE kind = 'approved' AND user = 'ada'`)
      );
    };
    await check();
    // Approvals move awaiting actions on (the count of both states changes); a state with no row yet appears.
    const awaiting = (await actions.list(actionListQuerySchema.parse({ state: 'awaiting_approval', limit: '500' })))
      .items;
    expect(awaiting.length).toBe(100);
    for (const a of awaiting.slice(0, 30)) {
      expect(
        await actions.transition({
          id: a.id,
          from: ['awaiting_approval'],
          to: 'approved',
          at: T,
          alongside: {
            audit: [{ at: T, kind: 'approved', actionId: a.id, user: 'ada', message: 'approved' }],
          },
        })
      ).toBe(true);
    }
    for (const a of awaiting.slice(0, 5)) {
      expect(await actions.transition({ id: a.id, from: ['approved'], to: 'executing', at: T })).toBe(true);
    }
    // A transition refused (wrong from-state) changes nothing.
    expect(await actions.transition({ id: awaiting[0].id, from: ['awaiting_approval'], to: 'rejected', at: T })).toBe(
      false
    );
    await fill(store, 25, 1000);
    await audit.append({ at: T, kind: 'kill_switch', user: 'ada', message: 'on' });
    await check();
  });
});

describe('migration 0010 on a database that already holds actions and audit entries', () => {
  it('starts its counts from the rows already there', async () => {
    const before = openSqliteDatabase(':memory:', () => T, { secrets: ephemeralSecretBox() });
    const { db } = before;
    // Back to the schema before 0010, as a database written by the previous version.
    db.exec(`DROP TRIGGER healing_action_counts_insert; DROP TRIGGER healing_action_counts_update;
             DROP TRIGGER healing_action_counts_delete; DROP TRIGGER healing_audit_counts_insert;
             DROP TABLE healing_action_counts; DROP TABLE healing_audit_counts; DROP INDEX healing_audit_kind;
             DELETE FROM schema_migrations WHERE id = 10`);
    await fill(before, 30);
    expect(migrate(db, migrations, () => T)).toEqual([10]);
    const counts = db.prepare('SELECT state, n FROM healing_action_counts ORDER BY state').all();
    expect(counts).toEqual(
      db.prepare('SELECT state, COUNT(*) AS n FROM healing_actions GROUP BY state ORDER BY state').all()
    );
    expect(counts).toHaveLength(STATES.length);
    expect(db.prepare('SELECT kind, n FROM healing_audit_counts ORDER BY kind').all()).toEqual(
      db.prepare('SELECT kind, COUNT(*) AS n FROM healing_audit GROUP BY kind ORDER BY kind').all()
    );
    await before.close();
  });
});
