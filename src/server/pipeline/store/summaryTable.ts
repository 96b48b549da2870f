import type Database from 'better-sqlite3';
import { z } from 'zod';
import { targetSchema, type Target, type TargetSort, type TargetsQuery } from '../../../contract/pipeline';
import { decodeRow, jsonColumn } from '../../store/rows';
import { sortedCursor, sortValue, type SortKey } from '../targetOrder';
import { encodeCursor } from './cursor';
import { countSql, filterTerms, readCount, sortedSummariesSql, type SummaryDialect } from './summarySql';

/**
 * pipeline_target_summaries: each target as the API lists it, written by the replica that scores
 * it with each cycle's checkpoint, so every replica serves the whole fleet (issue 16) from the
 * store rather than the share in its own memory. Written only when replicas share the watches; a
 * single process lists its targets from memory.
 */

/**
 * One target's summary as a cycle writes it: the listing (without scores), who scores it, and its
 * score history, or undefined to keep the stored one (it is the bulk of a row: written less often).
 */
export interface TargetSummary {
  target: Omit<Target, 'scores' | 'owner'>;
  scores?: Array<[number, number]>;
  owner: string;
}

/** A page of targets, the cursor after it (null: the last) and how many the filters match on every page. */
export interface SummaryPage {
  targets: Target[];
  next: string | null;
  total: number;
}

/** The listing of `watches` only (a watch removed since leaves rows nobody rewrites), with the API's filters. */
export interface SummaryQuery extends Partial<Omit<TargetsQuery, 'cursor'>> {
  watches: string[];
  /** The (watch, id) of the previous page's last target (its `next`, decoded), when not sorted. */
  after?: [string, string];
  /** The sort key of the previous page's last target, when sorted. */
  sortedAfter?: SortKey;
}

const summaryRowSchema = z.object({
  summary: jsonColumn(targetSchema.omit({ scores: true, owner: true })),
  // Null until the history of a target first listed is written.
  scores: jsonColumn(z.array(z.tuple([z.number(), z.number()])))
    .nullable()
    .optional(),
  owner: z.string(),
});

/** A stored row as the API lists it; `scores` only when the query asked for the history. */
export function readSummary(raw: unknown): Target {
  const row = decodeRow(summaryRowSchema, 'pipeline_target_summaries', raw);
  return { ...row.summary, owner: row.owner, ...(row.scores !== undefined ? { scores: row.scores ?? [] } : {}) };
}

/** The columns a page reads: PostgreSQL's JSON columns as text. */
function listedColumns(dialect: SummaryDialect, q: Pick<SummaryQuery, 'history'>): string {
  const json = (column: string) => (dialect === 'postgres' ? `${column}::text AS ${column}` : column);
  return [json('summary'), ...(q.history === 'true' ? [json('scores')] : []), 'owner'].join(', ');
}

/**
 * One watch's part of a page with `?` placeholders (PostgreSQL numbers them): its rows after `afterId`
 * on the primary key, so a page costs its own rows whatever its depth.
 */
export function summariesSql(
  dialect: SummaryDialect,
  watch: string,
  q: Omit<SummaryQuery, 'watches' | 'after'>,
  afterId: string | undefined,
  rows: number
): { sql: string; params: unknown[] } {
  const { terms, params } = filterTerms(dialect, { ...q, watches: [watch] });
  if (afterId !== undefined) {
    terms.push('id > ?');
    params.push(afterId);
  }
  return {
    sql: `SELECT ${listedColumns(dialect, q)} FROM pipeline_target_summaries WHERE ${terms.join(' AND ')} ORDER BY id LIMIT ?`,
    params: [...params, rows],
  };
}

type Select = (sql: { sql: string; params: unknown[] }) => Promise<unknown[]>;

/**
 * A page in (watch, id) order, watch by watch from the cursor's, each read on its primary-key range,
 * until the page and one more row are found (that one says whether a next page exists); or, with
 * `sort`, in that order over every watch (sortedSummaryPage).
 */
export async function summaryPage(q: SummaryQuery, select: Select, dialect: SummaryDialect): Promise<SummaryPage> {
  const watches = [...new Set(q.watches)].filter((w) => q.watch === undefined || w === q.watch).sort();
  const total = readCount((await select(countSql(dialect, { ...q, watches })))[0]);
  if (q.sort !== undefined) {
    return { ...(await sortedSummaryPage({ ...q, sort: q.sort, watches }, select, dialect)), total };
  }
  const limit = q.limit ?? 1000;
  const { after } = q;
  const rows: unknown[] = [];
  for (const watch of watches.filter((w) => after === undefined || w >= after[0])) {
    if (rows.length > limit) {
      break;
    }
    const afterId = after && watch === after[0] ? after[1] : undefined;
    rows.push(...(await select(summariesSql(dialect, watch, q, afterId, limit + 1 - rows.length))));
  }
  const targets = rows.slice(0, limit).map(readSummary);
  const last = targets.at(-1);
  return { targets, next: rows.length > limit && last ? encodeCursor([last.watch, last.id]) : null, total };
}

/** A page in the sort's order over the query's watches (keyset on the sort's index), and its `next`. */
async function sortedSummaryPage(
  q: SummaryQuery & { sort: TargetSort },
  select: Select,
  dialect: SummaryDialect
): Promise<Omit<SummaryPage, 'total'>> {
  const limit = q.limit ?? 1000;
  const order = q.order ?? 'desc';
  const rows = await select(
    sortedSummariesSql(dialect, listedColumns(dialect, q), { ...q, order, after: q.sortedAfter }, limit + 1)
  );
  const targets = rows.slice(0, limit).map(readSummary);
  const last = targets.at(-1);
  return {
    targets,
    next:
      rows.length > limit && last ? sortedCursor(q.sort, order, { value: sortValue(q.sort, last), id: last.id }) : null,
  };
}

/** A row's columns in insert order: watch, id, owner, severity, anomalous, summary, scores. */
export function summaryValues(
  s: TargetSummary
): [string, string, string, string | null, number, string, string | null] {
  const { target } = s;
  return [
    target.watch,
    target.id,
    s.owner,
    target.severity,
    target.openAnomalies > 0 ? 1 : 0,
    JSON.stringify(target),
    s.scores === undefined ? null : JSON.stringify(s.scores),
  ];
}

export class SummaryTable {
  private readonly upsert;
  private readonly remove;
  private readonly one;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO pipeline_target_summaries (watch, id, owner, severity, anomalous, summary, scores, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(watch, id) DO UPDATE SET owner = excluded.owner, severity = excluded.severity,
         anomalous = excluded.anomalous, summary = excluded.summary,
         scores = COALESCE(excluded.scores, pipeline_target_summaries.scores), updated_at = excluded.updated_at`
    );
    this.remove = db.prepare('DELETE FROM pipeline_target_summaries WHERE id = ?');
    this.one = db.prepare('SELECT summary, owner FROM pipeline_target_summaries WHERE id = ?');
  }

  write(s: TargetSummary, now: number): void {
    this.upsert.run(...summaryValues(s), now);
  }

  forget(id: string): void {
    this.remove.run(id);
  }

  page(q: SummaryQuery): Promise<SummaryPage> {
    return summaryPage(q, async ({ sql, params }) => this.db.prepare(sql).all(...params), 'sqlite');
  }

  get(id: string): Target | undefined {
    const row = this.one.get(id);
    return row === undefined ? undefined : readSummary(row);
  }
}
