import { messageOf } from '../../utils/messageOf';
import type pg from 'pg';
import { z } from 'zod';
import { decodeRow } from '../store/rows';
import { LiveSet, type Membership } from './members';

export interface PgMembershipOptions {
  /** The pool of the PostgreSQL every replica shares (store.url); the members table is migration 4. */
  pool: pg.Pool;
  /** Names this group of replicas (several deployments may share one database). */
  group: string;
  identity: string;
  /** A member that has not renewed for this long is gone. */
  leaseDurationSeconds: number;
  /** This replica's clock, for its own announcement only: whether it lapsed. */
  now: () => number;
}

const TABLE = 'coordination_members';
const memberRowSchema = z.object({ identity: z.string() });
const NO_ONE: readonly string[] = [];

/**
 * Membership without Kubernetes: a heartbeat row per replica in PostgreSQL. Every time here is the
 * database's `now()`, so a replica whose clock runs ahead or behind neither keeps a dead member
 * alive nor drops a live one. Rows of members gone for ten lease durations are deleted.
 */
export class PgMembership implements Membership {
  readonly identity: string;
  private readonly liveSet = new LiveSet();
  private announcedAt: number | undefined;
  private error: string | undefined;

  constructor(private readonly options: PgMembershipOptions) {
    this.identity = options.identity;
  }

  live(): readonly string[] {
    const { now, leaseDurationSeconds } = this.options;
    const lapsed = this.announcedAt === undefined || now() >= this.announcedAt + leaseDurationSeconds * 1000;
    return lapsed ? NO_ONE : this.liveSet.current;
  }

  lastError(): string | undefined {
    return this.error;
  }

  async heartbeat(): Promise<void> {
    const { pool, group, identity, leaseDurationSeconds, now } = this.options;
    const at = now();
    try {
      await pool.query(
        `INSERT INTO ${TABLE} (member_group, identity, renewed_at, expires_at)
         VALUES ($1, $2, now(), now() + make_interval(secs => $3))
         ON CONFLICT (member_group, identity) DO UPDATE SET renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
        [group, identity, leaseDurationSeconds]
      );
      this.announcedAt = at;
      const { rows } = await pool.query(
        `SELECT identity FROM ${TABLE} WHERE member_group = $1 AND expires_at > now() ORDER BY identity`,
        [group]
      );
      this.liveSet.set([identity, ...rows.map((row: unknown) => decodeRow(memberRowSchema, TABLE, row).identity)]);
      await pool.query(
        `DELETE FROM ${TABLE} WHERE member_group = $1 AND expires_at < now() - make_interval(secs => $2)`,
        [group, 10 * leaseDurationSeconds]
      );
      this.error = undefined;
    } catch (err) {
      this.error = `could not renew membership on PostgreSQL: ${messageOf(err)}`;
    }
  }

  async leave(): Promise<void> {
    const { pool, group, identity } = this.options;
    this.announcedAt = undefined;
    try {
      await pool.query(`DELETE FROM ${TABLE} WHERE member_group = $1 AND identity = $2`, [group, identity]);
    } catch (err) {
      this.error = `could not leave membership on PostgreSQL: ${messageOf(err)}`;
    }
  }
}
