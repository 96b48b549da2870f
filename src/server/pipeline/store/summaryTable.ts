import type Database from 'better-sqlite3';
import { z } from 'zod';
import { targetSchema, type Target, type TargetsQuery } from '../../../contract/pipeline';
import { decodeRow, jsonColumn } from '../../store/rows';
import { encodeCursor } from './cursor';

/**
 * pipeline_target_summaries: each target as the API lists it, written by the replica that scores
 * it with each cycle's checkpoint, so every replica serves the whole fleet (issue 16) from the
 * store rather than the share in its own memory. Written only when replicas share the watches; a
 * single process lists its targets from memory.
 */

/** One target's summary as a cycle writes it: the listing (without scores), its score history, who scores it. */
export interface TargetSummary {
  target: Omit<Target, 'scores' | 'owner'>;
  scores: Array<[number, number]>;
  owner: string;
}

/** A page of the stored summaries, in (watch, id) order, and the cursor after it (null: the last). */
export interface SummaryPage {
  targets: Target[];
  next: string | null;
}

/** The listing of `watches` only (a watch removed since leaves rows nobody rewrites), with the API's filters. */
export interface SummaryQuery extends Partial<Omit<TargetsQuery, 'cursor'>> {
  watches: string[];
  /** The (watch, id) of the previous page's last target (its `next`, decoded). */
  after?: [string, string];
}

const summaryRowSchema = z.object({
  summary: jsonColumn(targetSchema.omit({ scores: true, owner: true })),
  scores: jsonColumn(z.array(z.tuple([z.number(), z.number()]))).optional(),
  owner: z.string(),
});

/** The rows as the API lists them; `scores` only when the query asked for the history. */
export function readSummaries(rows: unknown[], limit: number): SummaryPage {
  const targets = rows.slice(0, limit).map((raw) => {
    const row = decodeRow(summaryRowSchema, 'pipeline_target_summaries', raw);
    return { ...row.summary, owner: row.owner, ...(row.scores ? { scores: row.scores } : {}) };
  });
  const last = targets.at(-1);
  return { targets, next: rows.length > limit && last ? encodeCursor([last.watch, last.id]) : null };
}

/**
 * The page's SELECT with `?` placeholders (PostgreSQL numbers them): limit + 1 rows, to know if more
 * follow. `json` selects a JSON column as text (PostgreSQL's are JSONB).
 */
export function summariesSql(
  q: SummaryQuery,
  limit: number,
  json: (column: string) => string = (column) => column
): { sql: string; params: unknown[] } {
  const where: string[] = [`watch IN (${q.watches.map(() => '?').join(', ')})`];
  const params: unknown[] = [...q.watches];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (q.watch !== undefined) {
    add('watch = ?', q.watch);
  }
  if (q.severity !== undefined) {
    add('severity = ?', q.severity);
  }
  if (q.anomalous !== undefined) {
    add('anomalous = ?', q.anomalous === 'true' ? 1 : 0);
  }
  if (q.after) {
    // Keyset on the primary key: a page costs its own rows whatever the offset.
    add('(watch, id) > (?, ?)', ...q.after);
  }
  const columns = [json('summary'), ...(q.history === 'true' ? [json('scores')] : []), 'owner'].join(', ');
  return {
    sql: `SELECT ${columns} FROM pipeline_target_summaries WHERE ${where.join(' AND ')} ORDER BY watch, id LIMIT ?`,
    params: [...params, limit + 1],
  };
}

/** A row's columns in insert order: watch, id, owner, severity, anomalous, summary, scores. */
export function summaryValues(s: TargetSummary): [string, string, string, string | null, number, string, string] {
  const { target } = s;
  return [
    target.watch,
    target.id,
    s.owner,
    target.severity,
    target.openAnomalies > 0 ? 1 : 0,
    JSON.stringify(target),
    JSON.stringify(s.scores),
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
         anomalous = excluded.anomalous, summary = excluded.summary, scores = excluded.scores, updated_at = excluded.updated_at`
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

  page(q: SummaryQuery): SummaryPage {
    const limit = q.limit ?? 1000;
    const { sql, params } = summariesSql(q, limit);
    return readSummaries(this.db.prepare(sql).all(...params), limit);
  }

  get(id: string): Target | undefined {
    const row = this.one.get(id);
    return row === undefined ? undefined : readSummaries([row], 1).targets[0];
  }
}
