import Database from 'better-sqlite3';
import { auditQuerySchema } from '../../../contract/healing';
import { registerTriggerTarget } from '../../healing/store/actionFilter';
import { SqliteActionRepository } from '../../healing/store/actions';
import { SqliteAuditRepository } from '../../healing/store/audit';
import { migrate } from '../migrate';
import { migrations } from '.';

// Migration 0017 on a database an earlier build wrote: its entries, actions and the counts kept of them
// stay as they were, nothing can be deleted until a prune records a cutoff, and a prune then keeps
// every count equal to the rows'.

const DAY = 86_400_000;
const T = 1_700_000_000_000;
const OLD = T - 40 * DAY;
const CUTOFF = T - 30 * DAY;

it('keeps what the log and the actions held, refuses deletes until a prune, and a prune keeps the counts true', async () => {
  const db = new Database(':memory:');
  try {
    registerTriggerTarget(db);
    migrate(
      db,
      migrations.filter((m) => m.id < 17),
      () => T
    );
    const entry = db.prepare(`INSERT INTO healing_audit (at, kind, target_id, message) VALUES (?, ?, ?, 'm')`);
    for (const [at, kind, target] of [
      [OLD, 'proposed', 'w{job="cart"}'],
      [OLD, 'proposed', 'w{job="search"}'],
      [OLD, 'rejected', null],
      [T, 'proposed', 'w{job="cart"}'],
    ] as const) {
      entry.run(at, kind, target);
    }
    db.exec(`INSERT INTO healing_triggers (key, source, trigger, opened_at, closed_at)
               VALUES ('alert:a', 'alert', '{"source":"alert","id":"a","labels":{},"severity":"high","startedAt":0}', ${OLD}, ${OLD});
             INSERT INTO healing_actions (trigger_key, policy, gate, action_type, target, state, action, created_at, updated_at)
               VALUES ('alert:a', 'p', 'approve', 'notify', 'notify', 'rejected', '{"type":"notify","message":"m"}', ${OLD}, ${OLD})`);
    const counts = () => ({
      kinds: db.prepare('SELECT kind, n FROM healing_audit_counts ORDER BY kind').all(),
      targets: db.prepare('SELECT target_id, n FROM healing_audit_target_counts ORDER BY target_id').all(),
      states: db.prepare('SELECT state, n FROM healing_action_counts WHERE n <> 0 ORDER BY state').all(),
    });
    const before = counts();

    expect(
      migrate(
        db,
        migrations.filter((m) => m.id <= 17),
        () => T
      )
    ).toEqual([17]);
    expect(counts()).toEqual(before);
    expect(db.prepare('SELECT id, audit_cutoff FROM healing_retention').all()).toEqual([]);
    expect(() => db.exec(`DELETE FROM healing_audit WHERE at = ${OLD}`)).toThrow(/append-only/);
    expect(() => db.exec(`UPDATE healing_audit SET message = 'x'`)).toThrow(/append-only/);

    const audit = new SqliteAuditRepository(db, () => undefined);
    const actions = new SqliteActionRepository(db, (e) => audit.write(e));
    expect(await audit.pruneBefore(CUTOFF, 1000)).toEqual({ deleted: { healing_audit: 3 }, more: false });
    expect(await actions.pruneFinished(CUTOFF, 1000)).toEqual({
      deleted: { healing_actions: 1, healing_triggers: 1 },
      more: false,
    });
    expect(counts()).toEqual({
      kinds: [
        { kind: 'proposed', n: 1 },
        { kind: 'rejected', n: 0 },
      ],
      targets: [{ target_id: 'w{job="cart"}', n: 1 }],
      states: [],
    });
    const page = await audit.list(auditQuerySchema.parse({ target: 'w{job="cart"}' }));
    expect([page.total, page.items.map((e) => e.at)]).toEqual([1, [T]]);
    expect(() => db.exec('DELETE FROM healing_audit')).toThrow(/append-only/);
  } finally {
    db.close();
  }
});
