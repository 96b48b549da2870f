import Database from 'better-sqlite3';
import { auditQuerySchema } from '../../../contract/healing';
import { registerTriggerTarget } from '../../healing/store/actionFilter';
import { SqliteAuditRepository } from '../../healing/store/audit';
import { migrate } from '../migrate';
import { migrations } from '.';

// Migration 0016 on a database an earlier build wrote: old anomaly triggers get the target the
// triggerTarget filter computed for them (alerts none), and each target's audit entries are counted.

const T = 1_700_000_000_000;

it("fills old triggers' targets as the filter computed them and counts each target's audit entries", async () => {
  const db = new Database(':memory:');
  try {
    // The schema before 0016 (0016 fills old triggers through the function the store registers).
    registerTriggerTarget(db);
    migrate(
      db,
      migrations.filter((m) => m.id < 16),
      () => T
    );
    const trigger = db.prepare(`INSERT INTO healing_triggers (key, source, trigger, opened_at) VALUES (?, ?, ?, ?)`);
    const anomaly = (id: number, job: string) =>
      JSON.stringify({ source: 'anomaly', id, watch: 'w', labels: { job, a: '"' }, severity: 'high', startedAt: T });
    trigger.run('anomaly:1', 'anomaly', anomaly(1, 'cart'), T);
    trigger.run('anomaly:2', 'anomaly', anomaly(2, 'search'), T);
    trigger.run(
      'alert:f',
      'alert',
      JSON.stringify({ source: 'alert', id: 'f', labels: {}, severity: 'high', startedAt: T }),
      T
    );
    const entry = db.prepare(`INSERT INTO healing_audit (at, kind, target_id, message) VALUES (?, 'proposed', ?, 'm')`);
    for (const target of ['w{job="cart"}', 'w{job="cart"}', null, 'w{job="search"}']) {
      entry.run(T, target);
    }

    expect(
      migrate(
        db,
        migrations.filter((m) => m.id <= 16),
        () => T
      )
    ).toEqual([16]);
    expect(db.prepare('SELECT key, trigger_target FROM healing_triggers ORDER BY key').all()).toEqual([
      { key: 'alert:f', trigger_target: null },
      { key: 'anomaly:1', trigger_target: 'w{a="\\"",job="cart"}' },
      { key: 'anomaly:2', trigger_target: 'w{a="\\"",job="search"}' },
    ]);
    expect(db.prepare('SELECT target_id, n FROM healing_audit_target_counts ORDER BY target_id').all()).toEqual([
      { target_id: 'w{job="cart"}', n: 2 },
      { target_id: 'w{job="search"}', n: 1 },
    ]);
    // The later migrations too, as the store runs them.
    migrate(db, migrations, () => T);
    const audit = new SqliteAuditRepository(db, () => undefined);
    await audit.append({ at: T, kind: 'succeeded', message: 'm', triggerId: 'x' });
    entry.run(T, 'w{job="cart"}');
    expect((await audit.list(auditQuerySchema.parse({ target: 'w{job="cart"}' }))).total).toBe(3);
  } finally {
    db.close();
  }
});
