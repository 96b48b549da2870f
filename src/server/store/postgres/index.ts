import { hostname } from 'node:os';
import type pg from 'pg';
import type { Store } from '../store';
import type { SecretBox } from '../secrets';
import { PostgresActionRepository } from './actions';
import { PostgresAuditRepository } from './audit';
import { PostgresBreakerRepository } from './breakers';
import { Database } from './database';
import { migratePostgres } from './migrate';
import { postgresMigrations } from './migrations';
import {
  connectionFailure,
  createPool,
  DEFAULT_POOL_LIMITS,
  describeUrl,
  poolExhausted,
  StoreBusyError,
  type PoolLimits,
} from './pool';
import { PostgresPipelineRepository } from './pipeline';
import { UnreadableFeedback } from '../../pipeline/store/anomalyTable';
import { postgresWriteProbe } from './refusals';
import { postgresSettings } from './settings';
import { StoreWriteHealth, UNHEARD, watchWrites, type WriteHealthLog } from '../writeHealth';

export { PostgresActionRepository } from './actions';
export { proposalKey } from './triggerWrites';
export { StoredRowError } from '../rows';
export { StoreUnavailableError, DEFAULT_POOL_LIMITS, describeUrl, type PoolLimits } from './pool';
export { postgresMigrations } from './migrations';
export { migratePostgres } from './migrate';

/** The PostgreSQL store, what several replicas share: settings, the watch loop's and the healing engine's state. */
export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** For the repositories of other rooms built on this store, and for tests. */
  readonly pool: pg.Pool;
  /** host:port/database, for logs. */
  readonly where: string;
}

export interface PostgresOptions {
  /** Seals secrets kept in settings: every replica must hold the same key (FP_SECRET_KEY). */
  secrets: SecretBox;
  limits?: Partial<PoolLimits>;
  /** Told when the server closes an idle connection (a restart); the pool reconnects on the next call. */
  onConnectionLost?: (err: Error) => void;
  /** This replica's name, recorded on the actions it claims; default: host name and process id. */
  replica?: string;
  now?: () => number;
  /** Told when the store stops, and starts again, being able to write (/readyz says it either way). */
  writeLog?: WriteHealthLog;
  /** Told what the store reads back and leaves out (an unreadable feedback row); default: a process warning. */
  warn?: (message: string) => void;
}

/** Connects, brings the schema up to date (safe when replicas start together), and returns the store. */
export async function openPostgresStore(url: string, options: PostgresOptions): Promise<PostgresStore> {
  const where = describeUrl(url);
  const limits = { ...DEFAULT_POOL_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const pool = createPool(url, limits, (err) => options.onConnectionLost?.(err));
  try {
    await migratePostgres(pool, postgresMigrations);
  } catch (err) {
    await pool.end();
    throw connectionFailure(err, where);
  }
  // Each idle connection the server closed is dropped as it fails: one try more than the pool holds.
  const attempts = limits.maxConnections + 1;
  const db = new Database(pool, where, attempts);
  let closed: Promise<void> | undefined;
  const writeHealth = new StoreWriteHealth(postgresWriteProbe(where), options.writeLog ?? UNHEARD);
  const watched = <T extends object>(name: string, repository: T) => watchWrites(name, repository, writeHealth);
  return {
    kind: 'postgres',
    pool,
    where,
    writeHealth,
    settings: watched('settings', postgresSettings(db, options.secrets, now)),
    healing: {
      actions: watched('actions', new PostgresActionRepository(db, options.replica ?? `${hostname()}/${process.pid}`)),
      audit: watched('audit', new PostgresAuditRepository(db, now)),
      breakers: watched('breakers', new PostgresBreakerRepository(db)),
    },
    pipeline: watched(
      'pipeline',
      new PostgresPipelineRepository(pool, where, attempts, now, new UnreadableFeedback(options.warn))
    ),
    // Heard too: a server gone says so on the gauge even while nothing is written. A pool in use to its
    // last connection answers busy at once: queued behind the work it checks, /readyz would outwait its
    // probe (a kubelet waits 1 s; a call may wait connectTimeoutMs, 5 s).
    ping: () =>
      writeHealth.watch('ping', async () => {
        if (poolExhausted(pool, limits.maxConnections)) {
          throw new StoreBusyError(where, 'is in use');
        }
        await db.query('SELECT 1');
      }),
    // Once: a second close (shutdown after a failed start) finds it closed.
    close: () => (closed ??= pool.end()),
  };
}
