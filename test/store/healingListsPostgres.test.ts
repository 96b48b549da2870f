import { actionListQuerySchema, auditQuerySchema } from '../../src/contract/healing';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// The healing lists on PostgreSQL with many rows (issue 16): a page of actions or audit entries is
// read through an index in order, never a sort of the table; an action count joins the triggers
// only when the filter reads them (every action has its trigger: a foreign key).

const ROWS = 20_000;
const T = 1_700_000_000_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Plan Rows': number;
  Plans?: PlanNode[];
}
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

let server: RunningPostgres | undefined;
let store: PostgresStore;

beforeAll(async () => {
  server = await startPostgres();
  store = await openPostgresStore(await server.createDatabase('healinglists'), {
    secrets: ephemeralSecretBox(),
    limits: { maxConnections: 2 },
  });
  // Rows written directly: what is tested here is the reads, not the writes.
  await store.pool.query(
    `INSERT INTO healing_triggers (key, source, trigger, trigger_target, opened_at, closed_at)
     SELECT 'anomaly:' || i, 'anomaly', jsonb_build_object('source', 'anomaly', 'id', i, 'watch', 'memory',
       'labels', jsonb_build_object('pod', 'web-' || (i % 500)), 'severity', 'critical', 'startedAt', $1::bigint + i),
       CASE WHEN i % 100 = 7 THEN 'memory{pod="busy"}' ELSE 'memory{pod="web-' || (i % 500) || '"}' END,
       $1::bigint + i, $1::bigint + i + 1
     FROM generate_series(1, $2) AS i`,
    [T, ROWS]
  );
  await store.pool.query(
    `INSERT INTO healing_actions (idempotency_key, trigger_key, policy, gate, action_type, target, namespace, state, action, created_at, updated_at)
     SELECT 'k' || i, 'anomaly:' || i, 'p' || (i % 3), 'approve', 'scale', 'deployment shop/web-' || (i % 7), 'shop',
       CASE WHEN i % 50 = 0 THEN 'awaiting_approval' WHEN i % 7 = 0 THEN 'rejected' ELSE 'succeeded' END,
       '{"type": "scale", "target": {"kind": "deployment", "namespace": "shop", "name": "web"}, "replicas": 4, "ceiling": 10}',
       $1::bigint + i, $1::bigint + i
     FROM generate_series(1, $2) AS i`,
    [T, ROWS]
  );
  // Anomaly i raised trigger i (its id is the anomaly's), over 500 targets; its entries keep its target.
  await store.pool.query(
    `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state,
       signals, direction, reasons, created_at, updated_at)
     SELECT 'memory{pod="web-' || (i % 500) || '"}', 'memory', '{}', $1::bigint + i, $1::bigint + i, 0.9, 'critical',
       'crash', 'closed', '[]', 'above', '[]', 0, 0
     FROM generate_series(1, $2) AS i`,
    [T, ROWS]
  );
  await store.pool.query(
    `INSERT INTO healing_audit (at, kind, action_id, trigger_id, target_id, message)
     SELECT $1::bigint + i, CASE WHEN i % 2 = 0 THEN 'proposed' WHEN i % 20 = 1 THEN 'failed' ELSE 'succeeded' END, i / 2,
       (i / 2 + 1)::text, 'memory{pod="web-' || ((i / 2 + 1) % 500) || '"}', 'm'
     FROM generate_series(1, $2) AS i`,
    [T, 2 * ROWS]
  );
  await store.pool.query('ANALYZE');
}, 120_000);

afterAll(async () => {
  await store?.close().catch(() => undefined);
  await server?.stop();
}, 120_000);

/** The statements `list` ran, each with its plan's nodes. */
async function plans(list: () => Promise<unknown>): Promise<Array<{ sql: string; plan: PlanNode[] }>> {
  const spy = jest.spyOn(store.pool, 'query');
  try {
    await list();
    const ran = spy.mock.calls.map(([sql, params]) => ({ sql: String(sql), params: params as unknown[] }));
    spy.mockRestore();
    const out = [];
    for (const { sql, params } of ran) {
      const { rows } = await store.pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      out.push({ sql, plan: nodes(rows[0]['QUERY PLAN'][0].Plan) });
    }
    return out;
  } finally {
    spy.mockRestore();
  }
}

const sortsOfMany = (plan: PlanNode[]) =>
  plan.filter((n) => /Sort$/.test(n['Node Type']) && n.Plans![0]['Plan Rows'] >= ROWS / 10);

describe('the PostgreSQL healing lists', () => {
  it.each([
    ['actions, no filter', () => store.healing.actions.list(actionListQuerySchema.parse({}))],
    [
      'actions awaiting approval',
      () => store.healing.actions.list(actionListQuerySchema.parse({ state: 'awaiting_approval' })),
    ],
    ['audit, no filter', () => store.healing.audit.list(auditQuerySchema.parse({}))],
    [
      'audit of one kind, a later page',
      () => store.healing.audit.list(auditQuerySchema.parse({ kind: 'failed', offset: '100' })),
    ],
    [
      'actions, an older page',
      () => store.healing.actions.list(actionListQuerySchema.parse({ cursor: `o${ROWS / 2}` })),
    ],
    [
      'actions awaiting approval, a newer page',
      () =>
        store.healing.actions.list(actionListQuerySchema.parse({ state: 'awaiting_approval', cursor: `n${ROWS / 2}` })),
    ],
    ['audit, an older page', () => store.healing.audit.list(auditQuerySchema.parse({ cursor: `o${ROWS}` }))],
    [
      'audit of one kind, a newer page',
      () => store.healing.audit.list(auditQuerySchema.parse({ kind: 'failed', cursor: `n${ROWS}` })),
    ],
  ])('%s: the page is read in index order, not sorted', async (name, list) => {
    const ran = await plans(list);
    const pages = ran.filter((r) => /LIMIT/.test(r.sql));
    expect(pages).toHaveLength(1);
    expect(sortsOfMany(pages[0].plan)).toEqual([]);
    if (/older|newer/.test(name)) {
      // A page after a cursor starts at its id: the rows before it are not read.
      expect(pages[0].plan.some((n) => /\bid [<>] /.test(n['Index Cond'] ?? ''))).toBe(true);
    }
    expect(
      pages[0].plan.some((n) => /^Index (Only )?Scan( Backward)?$/.test(n['Node Type']) || /Index/.test(n['Node Type']))
    ).toBe(true);
  });

  // The target each entry of an anomaly keeps (migration 11), sought with its ids in its (target_id, id)
  // index (an index scan, or a bitmap heap scan over its bitmap index scan): a statement reads the target's
  // own rows from the cursor on (a target's few sorted at most), never the log nor the target's anomalies.
  const readsTheTargetsIndex = (plan: PlanNode[], cursor: RegExp) => {
    expect(plan.filter((n) => n['Relation Name'] !== undefined).map((n) => n['Relation Name'])).toEqual([
      'healing_audit',
    ]);
    const seeks = plan.filter((n) => n['Index Name'] !== undefined);
    expect(seeks.map((n) => n['Index Name'])).toEqual(['healing_audit_target']);
    expect(seeks[0]['Index Cond']).toMatch(/^\(+target_id = '[^']*'::text\)/);
    expect(seeks[0]['Index Cond']).toMatch(cursor);
    expect(sortsOfMany(plan)).toEqual([]);
  };

  it.each([
    ['the first page', {}, /^[^<>]*$/],
    ['an older page', { cursor: `o${ROWS}` }, /\(id < /],
    ['a newer page', { cursor: `n${ROWS}` }, /\(id > /],
  ])("reads a page of one target's entries, %s, from the target's index", async (_name, q, cursor) => {
    const ran = await plans(() =>
      store.healing.audit.list(auditQuerySchema.parse({ target: 'memory{pod="web-7"}', ...q }))
    );
    expect(ran).toHaveLength(2);
    const [page, count] = [ran.find((r) => /LIMIT/.test(r.sql))!, ran.find((r) => !/LIMIT/.test(r.sql))!];
    readsTheTargetsIndex(page.plan, cursor);
    // Its total: the one row migration 12 keeps for the target, not a count of its entries.
    expect(count.plan.filter((n) => n['Relation Name'] !== undefined).map((n) => n['Index Name'])).toEqual([
      'healing_audit_target_counts_pkey',
    ]);
    const all = await store.healing.audit.list(auditQuerySchema.parse({ target: 'memory{pod="web-7"}', limit: '500' }));
    expect(all.total).toBe(2 * (ROWS / 500));
  });

  // Each page of an export sought from the last one's id: its cost is the target's entries, where reading
  // through the anomalies cost pages x anomalies.
  it("exports one target's entries, each page sought in the target's index from the last one's id", async () => {
    const target = 'memory{pod="web-7"}';
    const exported: number[] = [];
    const ran = await plans(async () => {
      for await (const entry of store.healing.audit.iterate(auditQuerySchema.parse({ target, format: 'csv' }))) {
        exported.push(entry.id);
      }
    });
    expect(exported).toHaveLength(2 * (ROWS / 500));
    expect(ran).toHaveLength(1);
    readsTheTargetsIndex(ran[0].plan, /\(id > /);
  });

  it('counts actions without the triggers unless the filter reads a trigger', async () => {
    const tables = async (q: Record<string, unknown>) => {
      const count = (await plans(() => store.healing.actions.list(actionListQuerySchema.parse(q)))).find((r) =>
        /COUNT\(\*\)/.test(r.sql)
      );
      return new Set(count!.plan.map((n) => n['Relation Name']).filter((r) => r !== undefined));
    };
    expect(await tables({ state: 'succeeded,rejected' })).toEqual(new Set(['healing_actions']));
    expect(await tables({ triggerId: '42' })).toEqual(new Set(['healing_actions', 'healing_triggers']));
    const listed = await store.healing.actions.list(actionListQuerySchema.parse({ state: 'awaiting_approval' }));
    expect(listed.total).toBe(ROWS / 50);
  });

  // The target its triggers keep, then their actions by trigger key (migration 12's index): a statement reads
  // the target's triggers and actions, never every action.
  it('reads the actions of one target through its triggers, not every action', async () => {
    // One action in a hundred: enough that PostgreSQL would walk every action newest first to fill a page.
    const q = actionListQuerySchema.parse({ triggerTarget: 'memory{pod="busy"}' });
    const ran = await plans(() => store.healing.actions.list(q));
    expect(ran).toHaveLength(2);
    for (const { plan } of ran) {
      // Sought by trigger key, never walked: neither a scan of every action nor every action newest first.
      expect(plan.filter((n) => n['Relation Name'] === 'healing_actions').map((n) => n['Index Name'])).toEqual([
        'healing_actions_trigger',
      ]);
    }
    expect((await store.healing.actions.list(q)).total).toBe(ROWS / 100);
  });
});
