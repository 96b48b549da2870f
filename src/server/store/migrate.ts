import type Database from 'better-sqlite3';
import { z } from 'zod';
import { decodeRow } from './rows';

export interface Migration {
  /** Strictly increasing; recorded in schema_migrations once applied. */
  id: number;
  name: string;
  sql: string;
}

/** A schema_migrations row as both stores read it. */
export const appliedSchema = z.object({ id: z.number().int() });

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/**
 * Applies the migrations not yet recorded, each in its own transaction, so a failed one leaves the
 * database at the previous version. Refuses a database written by a newer version of the backend.
 */
export function migrate(db: Database.Database, migrations: Migration[], now: () => number): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = appliedMigrations(db);
  const ran: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of pendingMigrations(applied, migrations)) {
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.id, migration.name, now());
    })();
    ran.push(migration.id);
  }
  return ran;
}

/** The migrations a SQLite database records as applied (none before its first migration). */
export function appliedMigrations(db: Database.Database): Set<number> {
  const recorded = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  return new Set(
    recorded === undefined
      ? []
      : db
          .prepare('SELECT id FROM schema_migrations')
          .all()
          .map((row) => decodeRow(appliedSchema, 'schema_migrations', row).id)
  );
}

/**
 * The migrations not yet applied, in order; refuses a database that has migrations this backend
 * does not know (written by a newer version), for SQLite and PostgreSQL alike.
 */
export function pendingMigrations<M extends Migration>(applied: Set<number>, migrations: M[]): M[] {
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new MigrationError(
      `the database has migrations this backend does not know (${unknown.join(', ')}): it was written by a newer version`
    );
  }
  return migrations.filter((m) => !applied.has(m.id)).sort((a, b) => a.id - b.id);
}
