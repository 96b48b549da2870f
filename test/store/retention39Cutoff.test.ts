import type { Run } from '../../src/server/store/postgres/database';
import { pruneAudit } from '../../src/server/store/postgres/healingPrune';
import { someoneWaitsOnALock } from '../harness/postgres';
import { storesAt } from './storesAt';

// The first healing prune by two PostgreSQL leaders at once (a lease changing hands mid-prune): both
// find no recorded cutoff and insert one. The second waits on the first's row and, once that commits,
// inserts nothing and moves the cutoff forward instead of failing on the key; between them the old
// entries go once. The first prune is held open by hand so the second is seen waiting on it.

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00Z');
const stores = storesAt(NOW, 'retention39cutoff');

it('records the cutoff once when two replicas prune for the first time at once, and both prunes succeed', async () => {
  const url = await stores.database();
  const [first, second] = [await stores.postgresAt(url), await stores.postgresAt(url)];
  for (let i = 0; i < 5; i++) {
    await first.healing.audit.append({ at: NOW - (40 - i) * DAY, kind: 'trigger_opened', message: `old ${i}` });
  }
  await first.healing.audit.append({ at: NOW, kind: 'trigger_opened', message: 'new' });

  const held = await first.pool.connect();
  const watcher = await first.pool.connect();
  try {
    await held.query('BEGIN');
    const run: Run = (sql, params) => held.query(sql, params);
    expect(await pruneAudit(run, NOW - 37 * DAY, 1000)).toEqual({ deleted: { healing_audit: 3 }, more: false });
    // The second replica's first prune, a day's cutoff later: it waits on the first's uncommitted row.
    const secondPrune = second.healing.audit.pruneBefore(NOW - 30 * DAY, 1000);
    await someoneWaitsOnALock(watcher);
    await held.query('COMMIT');

    expect(await secondPrune).toEqual({ deleted: { healing_audit: 2 }, more: false });
  } finally {
    held.release();
    watcher.release();
  }
  const { rows } = await first.pool.query('SELECT id, audit_cutoff FROM healing_retention');
  expect(rows).toEqual([{ id: 1, audit_cutoff: NOW - 30 * DAY }]);
  const left = await first.healing.audit.list({ limit: 50, offset: 0, format: 'json' });
  expect(left.items.map((e) => e.message)).toEqual(['new']);
});
