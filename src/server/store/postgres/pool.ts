import pg from 'pg';
import { codeOf, messageOf } from '../../../utils/messageOf';

/** How many connections one replica may hold, and how long a call may wait for one. */
export interface PoolLimits {
  /** Connections this process opens at most; the server's max_connections is shared by every replica. */
  maxConnections: number;
  /** A call that cannot get a connection within this fails instead of queueing forever. */
  connectTimeoutMs: number;
  /** A statement running longer than this is cancelled by the server. */
  statementTimeoutMs: number;
}

export const DEFAULT_POOL_LIMITS: PoolLimits = {
  maxConnections: 10,
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 30_000,
};

/** The server could not be reached or dropped the connection; the next call opens a new one. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Every connection of this replica's pool was in use and none came free within connectTimeoutMs: the
 * server answers, this replica asks too much of it at once. Load, not an outage: not retried (that
 * adds to the queue), and the store's write health and /readyz do not count it against the store.
 */
export class StoreBusyError extends Error {
  constructor(where: string, how: string, options?: { cause?: unknown }) {
    super(
      `PostgreSQL at ${where} is busy: every connection of this replica's pool (store.maxConnections) ${how}`,
      options
    );
    this.name = 'StoreBusyError';
  }
}

/** Whether pg-pool would queue a call now: it holds as many connections as it may, none idle, or has callers waiting. */
export function poolExhausted(pool: pg.Pool, maxConnections: number): boolean {
  return pool.waitingCount > 0 || (pool.totalCount >= maxConnections && pool.idleCount === 0);
}

// Timestamps are epoch milliseconds in BIGINT columns: well inside Number's exact range, so they
// are read as numbers rather than the driver's default strings.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A pool with limits. An idle connection the server closes (a restart, a failover) emits an error
 * on the pool, which drops it: `onIdleError` hears of it instead of the process crashing, and the
 * next call connects afresh.
 */
export function createPool(url: string, limits: PoolLimits, onIdleError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: limits.maxConnections,
    connectionTimeoutMillis: limits.connectTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'failureprophet',
    types,
  });
  pool.on('error', onIdleError);
  return pool;
}

// SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutdown, crash, starting up).
const UNAVAILABLE_STATES = /^(08|57P0[123])/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * pg-pool's words when a call waited connectTimeoutMs in the queue of a full pool (a new connection the
 * server does not answer in time ends "Connection terminated due to connection timeout" instead).
 */
const POOL_QUEUE_TIMEOUT = /timeout exceeded when trying to connect/;

/**
 * Turns a lost or refused connection into a StoreUnavailableError, and a wait for a full pool into a
 * StoreBusyError; other errors pass unchanged.
 */
export function connectionFailure(err: unknown, where: string): unknown {
  const code = codeOf(err);
  const message = messageOf(err);
  if (POOL_QUEUE_TIMEOUT.test(message)) {
    return new StoreBusyError(where, 'stayed in use longer than a call may wait', { cause: err });
  }
  const lost =
    (code !== undefined && (UNAVAILABLE_STATES.test(code) || UNAVAILABLE_CODES.has(code))) ||
    /Connection terminated/.test(message);
  return lost ? new StoreUnavailableError(`PostgreSQL at ${where} is unavailable: ${message}`, { cause: err }) : err;
}

/**
 * Runs `run` once more on a fresh connection each time the one it got turns out to be gone (an
 * idle connection the server closed is only noticed when used), while `mayRunAgain` says a second
 * run is safe. Up to `attempts` tries (the pool's size: each dead idle connection is dropped as it fails).
 */
export async function retryingLostConnections<T>(
  attempts: number,
  where: string,
  run: () => Promise<T>,
  mayRunAgain: () => boolean = () => true
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      const mapped = connectionFailure(err, where);
      if (!(mapped instanceof StoreUnavailableError) || attempt >= attempts || !mayRunAgain()) {
        throw mapped;
      }
    }
  }
}

/**
 * Whether text is a URL the driver can connect with: postgres:// or postgresql://, a host, and a
 * database. Checked when the configuration is read, so a typo is named at start.
 */
export function isPostgresUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && url.pathname.length > 1
  );
}

/** host:port/database, never the user or password: what a log line may say about the URL. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
}
