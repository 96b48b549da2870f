import { prepareDataDir } from './dataDir';
import { openPostgresStore, type PostgresStore } from './postgres';
import { loadSecretBox } from './secrets';
import { openSqliteStore, type SqliteOptions, type SqliteStore } from './sqlite';

export interface StoreOptions extends SqliteOptions {
  dataDir: string;
  /** `store.url` (FP_DATABASE_URL); unset: SQLite in dataDir. */
  url?: string;
  maxConnections?: number;
  now?: () => number;
  /** Told when PostgreSQL closes an idle connection (a restart, a failover); the pool reconnects. */
  onConnectionLost?: (err: Error) => void;
}

/**
 * SQLite in `dataDir` (the default), or PostgreSQL (`url`) holding everything: settings, the watch
 * loop's and the healing engine's state, shared by every replica on it. Rejects with a
 * StoreUnavailableError (naming host and database, never the password) when PostgreSQL cannot be reached.
 */
export async function openStore(options: StoreOptions): Promise<SqliteStore | PostgresStore> {
  const now = options.now ?? Date.now;
  if (options.url === undefined) {
    return openSqliteStore(options.dataDir, now, options);
  }
  // The sealing key stays outside the database: FP_SECRET_KEY, else this replica's key file in dataDir
  // (replicas must share FP_SECRET_KEY; main says so).
  prepareDataDir(options.dataDir);
  return openPostgresStore(options.url, {
    secrets: options.secrets ?? loadSecretBox(options.dataDir, options.env),
    limits: options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {},
    onConnectionLost: options.onConnectionLost,
    now,
    writeLog: options.writeLog,
    warn: options.warn,
  });
}
