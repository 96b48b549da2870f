import type Database from 'better-sqlite3';
import { openPostgresStore } from './postgres';
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

export interface StoreOptions extends SqliteOptions {
  dataDir: string;
  /** `store.url` (FP_DATABASE_URL); unset: SQLite in dataDir only. */
  url?: string;
  maxConnections?: number;
  now?: () => number;
  /** Told when PostgreSQL closes an idle connection (a restart, a failover); the pool reconnects. */
  onConnectionLost?: (err: Error) => void;
}

/**
 * SQLite in `dataDir` (the default), or PostgreSQL for settings and the healing engine's state
 * (`url`), shared by every replica on it. Rejects with a StoreUnavailableError (naming host and
 * database, never the password) when PostgreSQL cannot be reached.
 */
export async function openStore(options: StoreOptions): Promise<BackendStore> {
  const now = options.now ?? Date.now;
  const local = openSqliteStore(options.dataDir, now, options);
  if (options.url === undefined) {
    return local;
  }
  let shared;
  try {
    shared = await openPostgresStore(options.url, {
      // FP_SECRET_KEY, else this replica's key file: replicas must share FP_SECRET_KEY (main says so).
      secrets: local.settings.secrets,
      limits: options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {},
      onConnectionLost: options.onConnectionLost,
      now,
    });
  } catch (err) {
    await local.close();
    throw err;
  }
  return {
    kind: 'postgres',
    db: local.db,
    settings: shared.settings,
    healing: shared.healing,
    ping: async () => {
      await local.ping();
      await shared.ping();
    },
    close: async () => {
      await shared.close();
      await local.close();
    },
  };
}
