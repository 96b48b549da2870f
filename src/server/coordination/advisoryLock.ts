import { messageOf } from '../../utils/messageOf';
import pg from 'pg';
import { z } from 'zod';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE } from '../store/postgres/locks';
import { describeUrl } from '../store/postgres/pool';
import { decodeRow, lockedRow, StoredRowError } from '../store/rows';
import { Elector } from './elector';

export interface AdvisoryLockElectorOptions {
  /** The PostgreSQL every replica shares (store.url). */
  url: string;
  identity: string;
  /**
   * A leader whose last successful check is older than this stops acting (the renew deadline): a
   * connection that died silently keeps the lock on the server until the server notices, but this
   * replica must not assume it still leads meanwhile. Shorter than `releaseAfterMs`.
   */
  staleAfterMs: number;
  /**
   * The lease duration: PostgreSQL ends a session that has sent nothing for this long
   * (idle_session_timeout), so a leader cut off or stalled gives the lock up then, after it has
   * stopped acting, instead of when TCP keepalive notices, hours later.
   */
  releaseAfterMs: number;
  /** Milliseconds since the epoch; injected so tests move time themselves. */
  now: () => number;
}

const APPLICATION = 'failureprophet-leader:';
/** The holder's session; PostgreSQL may leave its application name NULL. */
const holderRow = z.object({ name: z.string().nullable() });

/**
 * Leader election with no Kubernetes (a laptop, the compose stack): `pg_try_advisory_lock` on a
 * connection of its own, outside any pool, so the lock lives exactly as long as that session. The
 * server releases it when the session ends (a crash, kill -9, a lost connection, or no check for
 * `releaseAfterMs`), and the next candidate to ask gets it; release() unlocks and closes at once.
 * As with a Lease, the leader stops acting `staleAfterMs` after its last check, before that.
 */
export class AdvisoryLockElector extends Elector {
  private client: pg.Client | undefined;
  private holding = false;
  private confirmedAt = 0;

  constructor(private readonly options: AdvisoryLockElectorOptions) {
    super(options.identity);
  }

  override isLeader(): boolean {
    return this.holding && this.options.now() - this.confirmedAt < this.options.staleAfterMs;
  }

  override async campaign(): Promise<boolean> {
    const at = this.options.now();
    try {
      const client = await this.connection();
      // Held already: the lock is the session's, so while the session answers, it is still ours.
      const continued = this.holding;
      if (continued) {
        await client.query('SELECT 1');
      } else {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1, $2) AS locked', [
          ADVISORY_NAMESPACE,
          ADVISORY_LOCKS.leader,
        ]);
        if (!decodeRow(lockedRow, 'pg_try_advisory_lock', rows[0]).locked) {
          return this.followed(
            `${await this.holder(client)} holds the leader lock on PostgreSQL at ${describeUrl(this.options.url)}`
          );
        }
        this.holding = true;
      }
      this.led(continued, this.options.now());
      this.confirmedAt = at;
      return true;
    } catch (err) {
      const where = `PostgreSQL at ${describeUrl(this.options.url)}`;
      // Either way the session is ended: a fresh one is asked next round.
      await this.drop(
        err instanceof StoredRowError
          ? `${where} answered what this backend cannot read: ${err.message}`
          : `lost the connection to ${where}: ${messageOf(err)}`
      );
      return false;
    }
  }

  override async release(): Promise<void> {
    const client = this.client;
    if (!client) {
      return;
    }
    const held = this.holding;
    // It stops leading before the unlock is sent: from then on another replica may take the lock.
    this.holding = false;
    try {
      if (held) {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [ADVISORY_NAMESPACE, ADVISORY_LOCKS.leader]);
      }
    } finally {
      await this.drop(undefined);
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) {
      return this.client;
    }
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: `${APPLICATION}${this.identity}`,
      keepAlive: true,
      // A check that hangs ends the round (and the session) by the time leadership lapses anyway.
      query_timeout: this.options.staleAfterMs,
      connectionTimeoutMillis: this.options.staleAfterMs,
      // PostgreSQL 14+: the server, not only this replica, counts the session's silence.
      options: `-c idle_session_timeout=${Math.round(this.options.releaseAfterMs)}`,
    });
    // The session ended under us (a restart, a terminated backend): whatever it held is gone.
    client.on('error', (err) => void this.drop(`lost the connection to PostgreSQL: ${err.message}`, client));
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      this.client = undefined;
      throw err;
    }
    return client;
  }

  /** Which candidate holds the lock, by the application name its session carries. */
  private async holder(client: pg.Client): Promise<string> {
    const { rows } = await client.query(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`,
      [ADVISORY_NAMESPACE, ADVISORY_LOCKS.leader]
    );
    const name = rows.length > 0 ? decodeRow(holderRow, 'pg_stat_activity', rows[0]).name : undefined;
    return name?.startsWith(APPLICATION) ? name.slice(APPLICATION.length) : 'another session';
  }

  private async drop(why: string | undefined, only?: pg.Client): Promise<void> {
    const client = this.client;
    // A connection that never opened has no client, but its failure is still this round's answer.
    if (only && only !== client) {
      return;
    }
    this.client = undefined;
    this.holding = false;
    // Released on purpose (why unset): nobody holds it, which is known.
    this.followed(why, why === undefined ? undefined : 'PostgreSQL does not answer');
    await client?.end().catch(() => undefined);
  }
}
