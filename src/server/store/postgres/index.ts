import type pg from 'pg';
import { PostgresActionRepository } from './actions';
import { migratePostgres } from './migrate';
import { postgresMigrations } from './migrations';
import {
  createPool,
  DEFAULT_POOL_LIMITS,
  describeUrl,
  retryingLostConnections,
  unavailable,
  type PoolLimits,
} from './pool';

export { proposalKey, PostgresActionRepository, StoredRowError, type ClaimedAction } from './actions';
export { StoreUnavailableError, DEFAULT_POOL_LIMITS, describeUrl, type PoolLimits } from './pool';
export { postgresMigrations } from './migrations';
export { migratePostgres } from './migrate';

/**
 * The PostgreSQL store, asynchronous: what several replicas share. In this version it holds the
 * healing actions only (see the README's "PostgreSQL (preview)"); the backend's state stays in SQLite.
 */
export interface PostgresStore {
  readonly pool: pg.Pool;
  readonly actions: PostgresActionRepository;
  /** host:port/database, for logs. */
  readonly where: string;
  /** Rejects when the server cannot answer (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  limits?: Partial<PoolLimits>;
  /** Told when the server closes an idle connection (a restart); the pool reconnects on the next call. */
  onConnectionLost?: (err: Error) => void;
}

/** Connects, brings the schema up to date (safe when replicas start together), and returns the store. */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
  const where = describeUrl(url);
  const limits = { ...DEFAULT_POOL_LIMITS, ...options.limits };
  const pool = createPool(url, limits, (err) => options.onConnectionLost?.(err));
  // Each idle connection the server closed is dropped as it fails: one try more than the pool holds.
  const attempts = limits.maxConnections + 1;
  try {
    await migratePostgres(pool, postgresMigrations);
  } catch (err) {
    await pool.end();
    throw unavailable(err, where);
  }
  return {
    pool,
    where,
    actions: new PostgresActionRepository(pool, where, attempts),
    ping: async () => {
      await retryingLostConnections(attempts, where, () => pool.query('SELECT 1'));
    },
    close: () => pool.end(),
  };
}
