import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { RetrainResponse } from '../../../contract/pipeline';
import type { TableDefinition } from '../../store/ddl';
import { decodeRow } from '../../store/rows';

/**
 * retrain_requests: "Retrain now" for targets another replica holds, left in the store for that
 * replica to run at its next cycle (sharedRetraining.ts). A replica's targets live in its memory
 * alone, so only it can retrain them; the store is what replicas share (they do not know each
 * other's addresses), and a request kept there outlives a restart of either side.
 */
export const RETRAIN_REQUESTS: TableDefinition = {
  name: 'retrain_requests',
  columns: {
    id: 'id',
    /** The replica asked to run it: the one that listed the target (or targets) last. */
    replica: 'text',
    /** What to retrain, as the request's body said: a target, a watch, or (both null) every target. */
    watch: 'text?',
    target_id: 'text?',
    requested_by: 'text',
    requested_at: 'bigint',
    /** Null while it waits; then what the run did. */
    done_at: 'bigint?',
    trained: 'int?',
    failed: 'json?',
  },
  indexes: { retrain_requests_pending: ['replica', 'done_at'] },
};

/** A request as it is queued. */
export interface NewRetrainRequest {
  replica: string;
  watch: string | null;
  target: string | null;
  requestedBy: string;
  requestedAt: number;
}

/** A request waiting for its replica. */
export interface RetrainRequest extends NewRetrainRequest {
  id: number;
}

/** How many listed targets of the selection each replica holds. */
export interface TargetShareCount {
  replica: string;
  targets: number;
}

const requestRowSchema = z
  .object({
    id: z.number().int(),
    replica: z.string(),
    watch: z.string().nullable(),
    target_id: z.string().nullable(),
    requested_by: z.string(),
    requested_at: z.number(),
  })
  .transform((r): RetrainRequest => ({
    id: r.id,
    replica: r.replica,
    watch: r.watch,
    target: r.target_id,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
  }));

const shareRowSchema = z.object({ replica: z.string(), targets: z.number().int() });

export const readRetrainRequest = (raw: unknown) => decodeRow(requestRowSchema, RETRAIN_REQUESTS.name, raw);
export const readShareCount = (raw: unknown) => decodeRow(shareRowSchema, 'pipeline_target_summaries', raw);

/** The requests waiting for a replica, oldest first (`?` placeholder). */
export const PENDING_REQUESTS_SQL = `SELECT id, replica, watch, target_id, requested_by, requested_at FROM retrain_requests
  WHERE replica = ? AND done_at IS NULL ORDER BY id`;

/** Marks requests done with their outcome (`?`: done_at, trained, failed, then the ids). */
export const finishSql = (ids: number): string =>
  `UPDATE retrain_requests SET done_at = ?, trained = ?, failed = ? WHERE done_at IS NULL AND id IN (${Array(ids).fill('?').join(', ')})`;

/**
 * Listed targets per replica, of the watches given (`?` each): the replicas to queue "retrain all"
 * for, and how many of the targets each holds.
 */
export const shareCountsSql = (watches: number): string =>
  `SELECT owner AS replica, COUNT(*) AS targets FROM pipeline_target_summaries
  WHERE watch IN (${Array(watches).fill('?').join(', ')}) GROUP BY owner ORDER BY owner`;

export const INSERT_REQUEST_SQL = `INSERT INTO retrain_requests (replica, watch, target_id, requested_by, requested_at) VALUES (?, ?, ?, ?, ?)`;
export const READDRESS_SQL = `UPDATE retrain_requests SET replica = ? WHERE done_at IS NULL AND id = ?`;

export const requestValues = (r: NewRetrainRequest): unknown[] => [
  r.replica,
  r.watch,
  r.target,
  r.requestedBy,
  r.requestedAt,
];

/** The SQLite side (the statements are PostgreSQL's too, numbered). */
export class RetrainRequestTable {
  constructor(private readonly db: Database.Database) {}

  queue(requests: NewRetrainRequest[]): void {
    const insert = this.db.prepare(INSERT_REQUEST_SQL);
    this.db.transaction(() => requests.forEach((r) => insert.run(...requestValues(r))))();
  }

  pending(replica: string): RetrainRequest[] {
    return this.db.prepare(PENDING_REQUESTS_SQL).all(replica).map(readRetrainRequest);
  }

  finish(ids: number[], at: number, outcome: RetrainResponse): void {
    if (ids.length > 0) {
      this.db.prepare(finishSql(ids.length)).run(at, outcome.trained, JSON.stringify(outcome.failed), ...ids);
    }
  }

  readdress(id: number, replica: string): void {
    this.db.prepare(READDRESS_SQL).run(replica, id);
  }

  shareCounts(watches: string[]): TargetShareCount[] {
    return watches.length === 0
      ? []
      : this.db
          .prepare(shareCountsSql(watches.length))
          .all(...watches)
          .map(readShareCount);
  }
}
