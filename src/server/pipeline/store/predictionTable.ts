import type Database from 'better-sqlite3';
import { z } from 'zod';
import { limitDirectionSchema, type Prediction, type PredictionsQuery } from '../../../contract/pipeline';
import { whereOf } from './sqlFilters';
import { decodeRow } from '../../store/rows';
import { statementCache } from '../../store/statements';
import type { PredictionRecord } from '../targetModel';

/** A predictions row, read as the contract's Prediction. */
const predictionRowSchema = z
  .object({
    id: z.number().int(),
    target_id: z.string(),
    watch: z.string(),
    signal: z.string(),
    made_at_ms: z.number(),
    limit_value: z.number(),
    direction: limitDirectionSchema,
    seconds: z.number(),
    lower_seconds: z.number().nullable(),
    upper_seconds: z.number().nullable(),
  })
  .transform((r): Prediction => ({
    id: r.id,
    target: r.target_id,
    watch: r.watch,
    signal: r.signal,
    madeAt: r.made_at_ms,
    limit: r.limit_value,
    direction: r.direction,
    seconds: r.seconds,
    lowerSeconds: r.lower_seconds,
    upperSeconds: r.upper_seconds,
    predictedFailureAt: r.made_at_ms + r.seconds * 1000,
  }));

/** predictions: the time-to-failure forecasts recorded, when one starts, moves or ends (predictionRecord.ts). */
export class PredictionTable {
  private readonly add;
  private readonly statement;

  constructor(db: Database.Database) {
    this.statement = statementCache(db);
    this.add = db.prepare(
      `INSERT INTO predictions (target_id, watch, signal, made_at_ms, limit_value, direction, seconds, lower_seconds, upper_seconds)
       VALUES (@targetId, @watch, @signal, @madeAt, @limit, @direction, @seconds, @lowerSeconds, @upperSeconds)
       ON CONFLICT(target_id, signal, made_at_ms) DO UPDATE SET seconds = excluded.seconds, lower_seconds = excluded.lower_seconds, upper_seconds = excluded.upper_seconds`
    );
  }

  write(p: PredictionRecord): void {
    this.add.run(p);
  }

  list(q: Partial<PredictionsQuery>): Prediction[] {
    const { sql, params } = predictionsSql(q);
    return this.statement(sql)
      .all(...params)
      .map(readPrediction);
  }
}

/** The predictions list query, newest first (`?` placeholders). */
export function predictionsSql(q: Partial<PredictionsQuery>): { sql: string; params: unknown[] } {
  const { where, params } = whereOf([
    ['target_id = ?', q.target],
    ['watch = ?', q.watch],
    ['made_at_ms >= ?', q.from],
    ['made_at_ms <= ?', q.to],
  ]);
  return {
    sql: `SELECT * FROM predictions ${where} ORDER BY made_at_ms DESC, id DESC LIMIT ?`,
    params: [...params, q.limit ?? 500],
  };
}

export function readPrediction(raw: unknown): Prediction {
  return decodeRow(predictionRowSchema, 'predictions', raw);
}
