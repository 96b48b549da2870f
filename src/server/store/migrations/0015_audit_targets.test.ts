import Database from 'better-sqlite3';
import { auditQuerySchema } from '../../../contract/healing';
import { registerTriggerTarget } from '../../healing/store/actionFilter';
import { SqliteAuditRepository } from '../../healing/store/audit';
import { migrate } from '../migrate';
import { migrations } from '.';

// Migration 0015 on a log an earlier build wrote: each entry keeps the target of the anomaly its trigger
// id names (as the read through the anomalies matched it), and the log stays append-only.

const T = 1_700_000_000_000;
const cart = 'w{job="cart"}';

it('fills the target of old entries an anomaly triggered, none for other triggers, and keeps refusing UPDATE', async () => {
  const db = new Database(':memory:');
  try {
    expect(
      migrate(
        db,
        migrations.filter((m) => m.id < 15),
        () => T
      ).at(-1)
    ).toBe(14);
    const anomaly = db.prepare(
      `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state,
         signals, direction, reasons, created_at, updated_at)
       VALUES (?, 'w', '{}', ?, ?, 0.9, 'high', 'crash', 'closed', '[]', 'above', '[]', 0, 0) RETURNING id`
    );
    const idOf = (target: string, at: number) => (anomaly.get(target, at, at) as { id: number }).id;
    const first = idOf(cart, 1);
    const other = idOf('w{job="search"}', 2);
    const second = idOf(cart, 3);
    const entry = db.prepare(`INSERT INTO healing_audit (at, kind, trigger_id, message) VALUES (?, 'proposed', ?, ?)`);
    for (const [triggerId, message] of [
      [`${first}`, 'cart 1'],
      [`${other}`, 'search'],
      [`${first}`.padStart(16, '0'), 'an alert of padded digits'],
      ['fingerprint:1', 'an alert'],
      [null, 'no trigger'],
      [`${second}`, 'cart 2'],
    ]) {
      entry.run(T, triggerId, message);
    }

    expect(
      migrate(
        db,
        migrations.filter((m) => m.id <= 15),
        () => T
      )
    ).toEqual([15]);
    expect(db.prepare('SELECT message, target_id FROM healing_audit ORDER BY id').all()).toEqual([
      { message: 'cart 1', target_id: cart },
      { message: 'search', target_id: 'w{job="search"}' },
      { message: 'an alert of padded digits', target_id: null },
      { message: 'an alert', target_id: null },
      { message: 'no trigger', target_id: null },
      { message: 'cart 2', target_id: cart },
    ]);
    expect(() => db.exec(`UPDATE healing_audit SET target_id = 'x'`)).toThrow(/append-only/);

    // The later migrations too, as the repository reads them (0016 counts these entries per target).
    registerTriggerTarget(db);
    expect(migrate(db, migrations, () => T)).toEqual(migrations.filter((m) => m.id > 15).map((m) => m.id));
    // Entries written from now on carry it from the insert: an anomaly's id is a number, an alert's text.
    const audit = new SqliteAuditRepository(db, () => undefined);
    await audit.append({ at: T + 1, kind: 'succeeded', triggerId: second, message: 'cart 2 again' });
    await audit.append({ at: T + 1, kind: 'trigger_opened', triggerId: `${second}`, message: 'an alert of digits' });
    const page = await audit.list(auditQuerySchema.parse({ target: cart }));
    expect(page.items.map((e) => e.message)).toEqual(['cart 2 again', 'cart 2', 'cart 1']);
    expect(page.total).toBe(3);
  } finally {
    db.close();
  }
});
