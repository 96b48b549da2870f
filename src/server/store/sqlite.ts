import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate';
import { migrations } from './migrations';
import type { SettingsRepository, Store } from './store';

export const DATABASE_FILE = 'failureprophet.db';

export interface SqliteStore extends Store {
  /** The open database, for the repositories of other rooms built on this store. */
  readonly db: Database.Database;
}

/** Opens (creating when needed) the embedded database in dataDir and brings its schema up to date. */
export function openSqliteStore(dataDir: string, now: () => number = Date.now): SqliteStore {
  mkdirSync(dataDir, { recursive: true });
  return openSqliteDatabase(join(dataDir, DATABASE_FILE), now);
}

export function openSqliteDatabase(file: string, now: () => number = Date.now): SqliteStore {
  const db = new Database(file);
  // WAL keeps readers (the API) from blocking the writer (the loop); NORMAL sync is durable in WAL mode
  // against process crashes, which is the failure the action lifecycle must survive.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return {
    db,
    ping: () => {
      db.prepare('SELECT 1').get();
    },
    settings: sqliteSettings(db, now),
    close: () => db.close(),
  };
}

function sqliteSettings(db: Database.Database, now: () => number): SettingsRepository {
  const select = db.prepare('SELECT value FROM settings WHERE key = ?');
  const upsert = db.prepare(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
  );
  return {
    get<T>(key: string) {
      const row = select.get(key) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    set<T>(key: string, value: T) {
      upsert.run(key, JSON.stringify(value), now());
    },
  };
}
