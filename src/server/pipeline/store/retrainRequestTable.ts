import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { RetrainResponse } from '../../../contract/pipeline';
import type { RetrainRequestView } from '../../../contract/retrainRequests';
import type { ColumnType, Dialect, TableDefinition } from '../../store/ddl';
import { decodeRow, jsonColumn } from '../../store/rows';

/**
 * retrain_requests: "Retrain now" for targets another replica holds, left in the store for the
 * replica holding each target to run after its next cycle (sharedRetraining.ts). A replica's
 * targets live in its memory alone, so only it can retrain them; the store is what replicas share
 * (they do not know each other's addresses), and a request kept there outlives a restart of either
 * side. As migration 0018 created it; RETRAIN_CLAIM_COLUMNS were added by 0020.
 */
export const RETRAIN_REQUESTS: TableDefinition = {
  name: 'retrain_requests',
  columns: {
    id: 'id',
    /** The replica that held the target (or targets) when the request was queued. */
    replica: 'text',
    /** What to retrain: a target (and its watch), or (target null, from builds before 0020) a replica's share of a watch or of all. */
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

/**
 * Migration 0020's columns: whichever replica holds a request's target takes it with a claim before
 * running it, so two replicas that both believe they hold the target (for a moment, while the
 * member list changes) run it once; one nobody takes is answered as expired.
 */
export const RETRAIN_CLAIM_COLUMNS = {
  /**
   * The replica that took it, and when it last renewed the claim (retrainClaims.ts): one older than
   * CLAIM_LAPSES_AFTER_MS may be taken again.
   */
  claimed_by: 'text?',
  claimed_at: 'bigint?',
  /** Set instead of done_at when nobody took it in time. */
  expired_at: 'bigint?',
} satisfies Record<string, ColumnType>;

/** A request as it is queued. */
export interface NewRetrainRequest {
  replica: string;
  watch: string | null;
  target: string | null;
  requestedBy: string;
  requestedAt: number;
}

/** A request still waiting to be run. */
export interface RetrainRequest extends NewRetrainRequest {
  id: number;
  claimedBy: string | null;
}

/** How many targets of the selection each replica holds. */
export interface TargetShareCount {
  replica: string;
  targets: number;
}

/** A claim: who takes the requests, when, and before when an earlier claim counts as abandoned. */
export interface RetrainClaim {
  replica: string;
  at: number;
  lapsedBefore: number;
}

/** "Retrain all" (or a watch) asked of `requestedBy`: one request per listed target of `watches` another replica holds. */
export interface ShareRequest {
  watches: string[];
  requestedBy: string;
  requestedAt: number;
}

/** A request's own columns; its answer's follow in a view row. */
const requestColumns = z.object({
  id: z.number().int(),
  replica: z.string(),
  watch: z.string().nullable(),
  target_id: z.string().nullable(),
  requested_by: z.string(),
  requested_at: z.number(),
  claimed_by: z.string().nullable(),
});

const requestRowSchema = requestColumns.transform((r): RetrainRequest => ({
  id: r.id,
  replica: r.replica,
  watch: r.watch,
  target: r.target_id,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  claimedBy: r.claimed_by,
}));

const failedSchema = z.array(z.object({ target: z.string(), error: z.string() }));

/** A request's columns and its answer's: a view row. */
const viewColumns = requestColumns.extend({
  done_at: z.number().nullable(),
  expired_at: z.number().nullable(),
  trained: z.number().int().nullable(),
  failed: jsonColumn(failedSchema).nullable(),
});

const viewRowSchema = viewColumns.transform((r): RetrainRequestView => ({
  id: r.id,
  watch: r.watch,
  target: r.target_id,
  replica: r.replica,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  state: r.expired_at !== null ? 'expired' : r.done_at !== null ? 'done' : r.claimed_by !== null ? 'running' : 'queued',
  claimedBy: r.claimed_by,
  answeredAt: r.expired_at ?? r.done_at,
  trained: r.trained,
  failed: r.failed,
}));

export const shareCountSchema = z.object({ replica: z.string(), targets: z.number().int() });
const claimedRowSchema = z.object({ id: z.number().int() });

export const readRetrainRequest = (raw: unknown) => decodeRow(requestRowSchema, RETRAIN_REQUESTS.name, raw);
export const readRetrainRequestView = (raw: unknown) => decodeRow(viewRowSchema, RETRAIN_REQUESTS.name, raw);
export const readShareCount = (raw: unknown) => decodeRow(shareCountSchema, 'pipeline_target_summaries', raw);
export const readClaimed = (raw: unknown) => decodeRow(claimedRowSchema, RETRAIN_REQUESTS.name, raw).id;

/** Waiting: neither run nor expired. */
const WAITING = 'done_at IS NULL AND expired_at IS NULL';
/** Free to take by `?` (the replica, then the lapse): unclaimed, claimed by it already (a retry, a renewal), or abandoned. */
const TAKEABLE = '(claimed_by IS NULL OR claimed_by = ? OR claimed_at < ?)';
const placeholders = (n: number): string => Array(n).fill('?').join(', ');

/**
 * The columns a row schema reads, as a SELECT list of table `table` where given: PostgreSQL's JSONB
 * `failed` read as text, as SQLite keeps it (jsonColumn parses the text).
 */
const selectList = (schema: z.ZodObject, dialect: Dialect = 'sqlite', table?: string): string =>
  Object.keys(schema.shape)
    .map((name) => {
      const column = table === undefined ? name : `${table}.${name}`;
      return dialect === 'postgres' && name === 'failed' ? `${column}::text AS failed` : column;
    })
    .join(', ');

/** The columns of a view row (readRetrainRequestView), of table `table` where given. */
export const requestViewColumns = (dialect: Dialect, table?: string): string => selectList(viewColumns, dialect, table);

/** The requests a replica may take, oldest first (`?`: the replica, the lapse). */
export const TAKEABLE_REQUESTS_SQL = `SELECT ${selectList(requestColumns)}
  FROM retrain_requests WHERE ${WAITING} AND ${TAKEABLE} ORDER BY id`;

/**
 * Takes the waiting requests among the ids for a replica (`?`: replica, at, replica, lapse, then the
 * ids), answering those it took. One statement: of two replicas claiming at once, each request goes
 * to one (PostgreSQL re-checks the condition on the row the other's update left). On PostgreSQL the
 * rows are locked in id order first: two UPDATEs of the same rows whose plans meet them in different
 * orders (a scan in table order, where updated rows sit out of id order, and one by the index) each
 * wait for a row the other holds, and one fails with "deadlock detected" (1 round in 40 of two
 * replicas each sending six claims of 300 requests at once).
 */
export const claimSql = (ids: number, dialect: 'sqlite' | 'postgres' = 'sqlite'): string =>
  dialect === 'postgres'
    ? `UPDATE retrain_requests SET claimed_by = ?, claimed_at = ?
  WHERE id IN (SELECT id FROM retrain_requests WHERE ${WAITING} AND ${TAKEABLE} AND id IN (${placeholders(ids)})
    ORDER BY id FOR UPDATE) RETURNING id`
    : `UPDATE retrain_requests SET claimed_by = ?, claimed_at = ?
  WHERE ${WAITING} AND ${TAKEABLE} AND id IN (${placeholders(ids)}) RETURNING id`;

/** Records a run's outcome on one request its replica still holds the claim of (`?`: done_at, trained, failed, replica, id). */
export const FINISH_SQL = `UPDATE retrain_requests SET done_at = ?, trained = ?, failed = ?
  WHERE ${WAITING} AND claimed_by = ? AND id = ?`;

/**
 * When waiting requests expire: those asked before `requestedBefore`, or, of a watch `byWatch` names,
 * before its own time (a watch whose requests wait longer), that nobody holds a claim on since
 * `lapsedBefore`; of the requests `only` names, when it does (those the replica deciding would hold:
 * sharedRetraining.ts).
 */
export interface RetrainExpiry {
  at: number;
  requestedBefore: number;
  lapsedBefore: number;
  byWatch: Readonly<Record<string, number>>;
  only?: readonly number[];
}

/**
 * Answers as expired what waited since before its watch's time without anyone taking it, or whose
 * taker abandoned it (`?`: expireValues), of `ids` requests when given. Cast, as PostgreSQL reads a
 * CASE of untyped parameters as text.
 */
const expireSql = (watches: number, ids?: number): string => {
  const cutoff =
    watches === 0
      ? '?'
      : `CASE ${Array(watches).fill('WHEN watch = ? THEN CAST(? AS BIGINT)').join(' ')} ELSE CAST(? AS BIGINT) END`;
  const only = ids === undefined ? '' : ` AND id IN (${placeholders(ids)})`;
  return `UPDATE retrain_requests SET expired_at = ?
  WHERE ${WAITING} AND (claimed_by IS NULL OR claimed_at < ?) AND requested_at < ${cutoff}${only}`;
};

const expireValues = (e: RetrainExpiry): unknown[] => [
  e.at,
  e.lapsedBefore,
  ...Object.entries(e.byWatch).flat(),
  e.requestedBefore,
  ...(e.only ?? []),
];

/** The expiry in statements of at most CLAIM_CHUNK ids each (none for no ids), each with its SQL. */
export function expiryStatements(e: RetrainExpiry): Array<{ sql: string; values: unknown[] }> {
  const watches = Object.keys(e.byWatch).length;
  if (e.only === undefined) {
    return [{ sql: expireSql(watches), values: expireValues(e) }];
  }
  const statements: Array<{ sql: string; values: unknown[] }> = [];
  for (let i = 0; i < e.only.length; i += CLAIM_CHUNK) {
    const only = e.only.slice(i, i + CLAIM_CHUNK);
    statements.push({ sql: expireSql(watches, only.length), values: expireValues({ ...e, only }) });
  }
  return statements;
}

/** Newest first, of one target or of all (`?`: [target,] limit). */
export const listSql = (byTarget: boolean, dialect: Dialect = 'sqlite'): string =>
  `SELECT ${requestViewColumns(dialect)}
  FROM retrain_requests${byTarget ? ' WHERE target_id = ?' : ''} ORDER BY id DESC LIMIT ?`;

/**
 * Each target's newest request, by target, the page after target `?` (`''`: the first), at most `?`
 * targets. A loose scan of migration 0023's (target_id, id) index: one probe for the next target and
 * one for its newest id each, so a page costs its size, not the requests a "Retrain all" repeated on
 * a large fleet left; the only sort is of the page. Materialized, so each row is then read by its id
 * rather than PostgreSQL scanning the table to join on the inlined subquery.
 */
export const newestByTargetSql = (dialect: Dialect): string => `WITH RECURSIVE targets (target_id, n) AS (
    SELECT MIN(target_id), 1 FROM retrain_requests WHERE target_id > ?
    UNION ALL
    SELECT (SELECT MIN(target_id) FROM retrain_requests WHERE target_id > t.target_id), t.n + 1
      FROM targets t WHERE t.target_id IS NOT NULL AND t.n < ?
  ), newest (id, n) AS MATERIALIZED (
    SELECT (SELECT MAX(id) FROM retrain_requests WHERE target_id = t.target_id), t.n FROM targets t
  )
  SELECT ${requestViewColumns(dialect, 'r')}
    FROM newest t JOIN retrain_requests r ON r.id = t.id ORDER BY t.n`;

/** SQLite's. */
export const NEWEST_BY_TARGET_SQL = newestByTargetSql('sqlite');

/** A page of each target's newest request, and the cursor of the next (null on the last). */
export interface NewestRetrainRequestPage {
  requests: RetrainRequestView[];
  next: string | null;
}

/** NEWEST_BY_TARGET_SQL's parameters for a page of `limit` after `after`: one target more, to tell whether a next page exists. */
export const newestValues = (q: { after?: string; limit: number }): unknown[] => [q.after ?? '', q.limit + 1];

/** The page from NEWEST_BY_TARGET_SQL's rows (read with newestValues). */
export function newestPage(views: RetrainRequestView[], limit: number): NewestRetrainRequestPage {
  const requests = views.slice(0, limit);
  return { requests, next: views.length > limit ? (requests[requests.length - 1].target ?? null) : null };
}

/** Listed targets per replica but one, of the watches given (`?`: the watches, then the replica left out). */
export const shareCountsSql = (watches: number): string =>
  `SELECT owner AS replica, COUNT(*) AS targets FROM pipeline_target_summaries
  WHERE watch IN (${placeholders(watches)}) AND owner <> ? GROUP BY owner ORDER BY owner`;

/**
 * One request per listed target of the watches another replica holds (`?`: by, at, the watches, by);
 * cast, as PostgreSQL reads an untyped parameter in a SELECT list as text.
 */
export const queueShareSql = (watches: number): string =>
  `INSERT INTO retrain_requests (replica, watch, target_id, requested_by, requested_at)
  SELECT owner, watch, id, CAST(? AS TEXT), CAST(? AS BIGINT) FROM pipeline_target_summaries
  WHERE watch IN (${placeholders(watches)}) AND owner <> ? ORDER BY owner, watch, id`;

export const shareValues = (r: ShareRequest): unknown[] => [r.requestedBy, r.requestedAt, ...r.watches, r.requestedBy];
export const shareCountValues = (r: ShareRequest): unknown[] => [...r.watches, r.requestedBy];

export const INSERT_REQUEST_SQL = `INSERT INTO retrain_requests (replica, watch, target_id, requested_by, requested_at) VALUES (?, ?, ?, ?, ?)`;

export const requestValues = (r: NewRetrainRequest): unknown[] => [
  r.replica,
  r.watch,
  r.target,
  r.requestedBy,
  r.requestedAt,
];

/** Ids per claim or expiry statement: well under SQLite's 32,766 parameters and PostgreSQL's 65,535. */
export const CLAIM_CHUNK = 500;

/**
 * Each request's failures from the outcome of the run of `requests`: those naming its target, and
 * those naming none of the run's targets (the whole run's: its watch failed). A share request (no
 * target) has them all.
 */
export function failuresOf(
  requests: readonly RetrainRequest[],
  outcome: RetrainResponse
): Array<RetrainResponse['failed']> {
  const targets = new Set(requests.map((r) => r.target));
  const general = outcome.failed.filter((f) => !targets.has(f.target));
  return requests.map((r) =>
    r.target === null ? outcome.failed : [...outcome.failed.filter((f) => f.target === r.target), ...general]
  );
}

/** The SQLite side (the statements are PostgreSQL's too, numbered). */
export class RetrainRequestTable {
  constructor(private readonly db: Database.Database) {}

  queue(requests: NewRetrainRequest[]): void {
    const insert = this.db.prepare(INSERT_REQUEST_SQL);
    this.db.transaction(() => requests.forEach((r) => insert.run(...requestValues(r))))();
  }

  queueShare(r: ShareRequest): TargetShareCount[] {
    if (r.watches.length === 0) {
      return [];
    }
    return this.db.transaction(() => {
      const counts = this.db
        .prepare(shareCountsSql(r.watches.length))
        .all(...shareCountValues(r))
        .map(readShareCount);
      this.db.prepare(queueShareSql(r.watches.length)).run(...shareValues(r));
      return counts;
    })();
  }

  takeable(claim: Omit<RetrainClaim, 'at'>): RetrainRequest[] {
    return this.db.prepare(TAKEABLE_REQUESTS_SQL).all(claim.replica, claim.lapsedBefore).map(readRetrainRequest);
  }

  claim(ids: number[], c: RetrainClaim): number[] {
    const claimed: number[] = [];
    for (let i = 0; i < ids.length; i += CLAIM_CHUNK) {
      const chunk = ids.slice(i, i + CLAIM_CHUNK);
      const rows = this.db.prepare(claimSql(chunk.length)).all(c.replica, c.at, c.replica, c.lapsedBefore, ...chunk);
      claimed.push(...rows.map(readClaimed));
    }
    return claimed;
  }

  finish(requests: RetrainRequest[], replica: string, at: number, outcome: RetrainResponse): number {
    const finish = this.db.prepare(FINISH_SQL);
    const failed = failuresOf(requests, outcome);
    return this.db.transaction(() =>
      requests.reduce(
        (n, r, i) => n + finish.run(at, outcome.trained, JSON.stringify(failed[i]), replica, r.id).changes,
        0
      )
    )();
  }

  expire(e: RetrainExpiry): number {
    return expiryStatements(e).reduce((n, { sql, values }) => n + this.db.prepare(sql).run(...values).changes, 0);
  }

  newestByTarget(q: { after?: string; limit: number }): NewestRetrainRequestPage {
    const views = this.db
      .prepare(NEWEST_BY_TARGET_SQL)
      .all(...newestValues(q))
      .map(readRetrainRequestView);
    return newestPage(views, q.limit);
  }

  list(q: { target?: string; limit: number }): RetrainRequestView[] {
    const params = q.target === undefined ? [q.limit] : [q.target, q.limit];
    return this.db
      .prepare(listSql(q.target !== undefined))
      .all(...params)
      .map(readRetrainRequestView);
  }
}
