import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { decodeRow } from '../rows';
import { withoutNul } from './nulText';
import { retryingLostConnections } from './pool';

/** Request keys older than this are pruned: far beyond any retry of a lost connection. */
const REQUEST_KEY_LIFETIME_MS = 24 * 3_600_000;
/** One keyed write in this many prunes the old keys, so the table stays small without a timer. */
const PRUNE_EVERY = 256;
const storedRequest = z.object({ result: z.unknown() });

/** A statement runner: the pool, or the one client a transaction holds. */
export type Run = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params?: unknown[]
) => Promise<pg.QueryResult<R>>;

/**
 * How a transaction whose COMMIT was sent and whose answer was lost is treated: a `keyed` write
 * (its conditions and keys let a second run find that the first one happened, or it goes through
 * `once`) runs again; an `unkeyed` one would be written twice, so the caller hears that the store
 * is unavailable and whether it committed is unknown.
 */
export type Write = 'keyed' | 'unkeyed';

/**
 * The pool as the repositories use it: a statement, or a transaction on one pooled client, run
 * again on a fresh connection when the one it got turns out to be gone (a restart, a failover).
 * Only what is safe to run twice is handed to `query`; a transaction runs again after its COMMIT
 * was sent only when it is `keyed` (Write). A plain insert is not: it goes through `once`, keyed by
 * a request.
 */
export class Database {
  private keyedWrites = 0;

  constructor(
    readonly pool: pg.Pool,
    /** host:port/database, for messages. */
    readonly where: string,
    private readonly attempts: number
  ) {}

  query: Run = (sql, params = []) =>
    retryingLostConnections(this.attempts, this.where, () => this.pool.query(sql, withoutNul(params)));

  /** BEGIN ... COMMIT on one client; rolled back when `work` throws. */
  transaction<T>(work: (run: Run) => Promise<T>, write: Write): Promise<T> {
    let commitSent = false;
    const mayRunAgain = () => write === 'keyed' || !commitSent;
    return retryingLostConnections(
      this.attempts,
      this.where,
      async () => {
        commitSent = false;
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
          const result = await work((sql, params = []) => client.query(sql, withoutNul(params)));
          commitSent = true;
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch((rollback: Error) => {
            // The connection is gone (the server ended the transaction): the pool must not hand it out again.
            broken = rollback;
          });
          throw err;
        } finally {
          client.off('error', lost);
          client.release(broken);
        }
      },
      mayRunAgain
    );
  }

  /**
   * A transaction that takes effect once however often it is sent: it holds a request key drawn
   * once, so it may run again on a fresh connection even when the first run's COMMIT was sent and
   * its answer lost (a plain insert would then be written twice); a run that finds its key
   * returns the first run's result, read back through `result`. `at` dates the key for pruning.
   */
  once<T>(at: number, result: z.ZodType<T>, work: (run: Run) => Promise<T>): Promise<T> {
    const key = randomUUID();
    return this.transaction(async (run) => {
      // A first run still open on a dead connection holds the key: this waits for it to end.
      const { rowCount } = await run(
        'INSERT INTO store_requests (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
        [key, at]
      );
      if (rowCount === 0) {
        const { rows } = await run('SELECT result FROM store_requests WHERE key = $1', [key]);
        const first = decodeRow(storedRequest, 'store_requests', rows[0], key).result;
        return decodeRow(result, 'store_requests', first === null ? undefined : first, key);
      }
      const value = await work(run);
      await run('UPDATE store_requests SET result = $2 WHERE key = $1', [key, JSON.stringify(value ?? null)]);
      if (++this.keyedWrites % PRUNE_EVERY === 0) {
        await run('DELETE FROM store_requests WHERE at < $1', [at - REQUEST_KEY_LIFETIME_MS]);
      }
      return value;
    }, 'keyed');
  }
}
