import { messageOf } from '../../../utils/messageOf';
import type pg from 'pg';
import { appliedSchema, MigrationError, pendingMigrations, type Migration } from '../migrate';
import { decodeRow } from '../rows';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE } from './locks';

/**
 * Applies the migrations not yet recorded, each in its own transaction, so a failed one leaves the
 * database at the previous version. An advisory lock held for the whole run makes replicas that
 * start together take turns: the second finds everything applied. Refuses a database written by a
 * newer version of the backend.
 */
export async function migratePostgres(pool: pg.Pool, migrations: Migration[]): Promise<number[]> {
  const client = await pool.connect();
  try {
    // Session-level: released below, or by the server if this connection dies mid-way.
    await client.query('SELECT pg_advisory_lock($1, $2)', [ADVISORY_NAMESPACE, ADVISORY_LOCKS.migrate]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const { rows } = await client.query('SELECT id FROM schema_migrations');
      const applied = new Set(rows.map((row: unknown) => decodeRow(appliedSchema, 'schema_migrations', row).id));
      const ran: number[] = [];
      for (const migration of pendingMigrations(applied, migrations)) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          // The database's own time: every replica records by one clock.
          await client.query(
            'INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, (extract(epoch from clock_timestamp()) * 1000)::bigint)',
            [migration.id, migration.name]
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new MigrationError(`migration ${migration.id} (${migration.name}) failed: ${messageOf(err)}`);
        }
        ran.push(migration.id);
      }
      return ran;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [ADVISORY_NAMESPACE, ADVISORY_LOCKS.migrate]);
    }
  } finally {
    client.release();
  }
}
