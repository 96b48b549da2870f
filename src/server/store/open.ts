import type Database from 'better-sqlite3';
import { openSqliteStore, type SqliteOptions } from './sqlite';
import type { Store } from './store';

/**
 * The store the backend runs on, and the embedded database the pipeline's repository is built on
 * (src/server/pipeline/store): with PostgreSQL too, until the pipeline moves there, in which case
 * that database is this replica's own.
 */
export interface BackendStore extends Store {
  readonly db: Database.Database;
}

/** SQLite in `dataDir`, the default (`store.url` unset). */
export async function openStore(
  dataDir: string,
  now: () => number = Date.now,
  options: SqliteOptions = {}
): Promise<BackendStore> {
  return openSqliteStore(dataDir, now, options);
}
