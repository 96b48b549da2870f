import type pg from 'pg';
import { retryingLostConnections } from './pool';

/** A statement runner: the pool, or the one client a transaction holds. */
export type Run = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params?: unknown[]
) => Promise<pg.QueryResult<R>>;

/**
 * The pool as the repositories use it: a statement, or a transaction on one pooled client, run
 * again on a fresh connection when the one it got turns out to be gone (a restart, a failover).
 * Only what is safe to run twice is handed here: a change whose answer was lost after its COMMIT
 * finds, on the second run, that it happened (the repositories' conditions and keys see to that).
 */
export class Database {
  constructor(
    readonly pool: pg.Pool,
    /** host:port/database, for messages. */
    readonly where: string,
    private readonly attempts: number
  ) {}

  query: Run = (sql, params = []) =>
    retryingLostConnections(this.attempts, this.where, () => this.pool.query(sql, params));

  /** BEGIN ... COMMIT on one client; rolled back when `work` throws. */
  transaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    return retryingLostConnections(this.attempts, this.where, async () => {
      const client = await this.pool.connect();
      // A connection that dies while checked out emits 'error' besides failing the query in
      // flight: heard here (the query's rejection says it) instead of crashing the process.
      let broken: Error | undefined;
      const lost = (err: Error) => {
        broken = err;
      };
      client.on('error', lost);
      try {
        await client.query('BEGIN');
        const result = await work((sql, params = []) => client.query(sql, params));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollback: Error) => {
          // The connection is gone: the server rolled back; the pool must not hand it out again.
          broken = rollback;
        });
        throw err;
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    });
  }
}
