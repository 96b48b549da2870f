import type Database from 'better-sqlite3';
import { z } from 'zod';
import { rowBudgetBatch } from '../../store/pruneCadence';
import { decodeRow } from '../../store/rows';
import { PipelineError } from '../views';

// What a prune of the detection records (retention.ts) may delete, as the SQL both stores run, and
// the SQLite store's batches of it.

/** The tables a prune deletes from: the `table` label of failureprophet_detection_pruned_total. */
export const DETECTION_PRUNED_TABLES = [
  'anomalies',
  'anomaly_feedback',
  'predictions',
  'models',
  'retrain_requests',
] as const;
export type DetectionPrunedTable = (typeof DETECTION_PRUNED_TABLES)[number];

/** What one batch deleted, per table, and whether it left some of what it may delete for the next. */
export interface DetectionPruneBatch {
  deleted: Partial<Record<DetectionPrunedTable, number>>;
  more: boolean;
}

/** Where a prune of the anomalies stops (epoch ms). */
export interface AnomalyCutoffs {
  /** Closed anomalies that ended, were last written and last spoken of before this go. */
  before: number;
  /** Those with feedback go only once they ended before this too (never after `before`): retraining reads that feedback. */
  labelledBefore: number;
}

/** How a store writes the parameters of a statement (and, for the anomalies, which index it reads). */
type Params<K extends string> = Record<K, string>;

/**
 * Whether anomaly `a` may go. It goes whole, with its feedback, once it is closed, ended and unchanged
 * before the cutoff and no feedback on it is newer; one with feedback waits for `labelledBefore`
 * (retraining reads that feedback). One a healing trigger names stays while that trigger does (the
 * healing records' own retention prunes them): its actions read the anomaly's feedback and
 * verification writes more. A trigger names it by key (`anomaly:<id>`), or by a key its trigger was
 * archived under (`anomaly:<id>#superseded-<action>`, `#withdrawn-<action>`, ...: actionRows'
 * archivedKey), which keeps the anomaly's target.
 */
export function anomalyPrunable(p: Params<'before' | 'labelledBefore'>): string {
  const key = `'anomaly:' || a.id`;
  return `a.state = 'closed' AND a.end_ms < ${p.before} AND a.updated_at < ${p.before}
       AND NOT EXISTS (
         SELECT 1 FROM anomaly_feedback f
          WHERE f.anomaly_id = a.id AND (f.created_at >= ${p.before} OR a.end_ms >= ${p.labelledBefore}))
       AND NOT EXISTS (SELECT 1 FROM healing_triggers t WHERE t.key = ${key})
       AND NOT EXISTS (
         SELECT 1 FROM healing_triggers t
          WHERE t.trigger_target = a.target_id AND substr(t.key, 1, length(${key} || '#')) = ${key} || '#')`;
}

/** The anomalies a prune may delete (anomalyPrunable), with the number of feedback rows each has, oldest ended first, at most `limit`. */
export const prunableAnomaliesSql = (p: Params<'before' | 'labelledBefore' | 'limit' | 'from'>) => `
    SELECT a.id, (SELECT CAST(COUNT(*) AS INTEGER) FROM anomaly_feedback f WHERE f.anomaly_id = a.id) AS feedback
      FROM ${p.from}
     WHERE ${anomalyPrunable(p)}
     ORDER BY a.end_ms
     LIMIT ${p.limit}`;

/** Why feedback was not recorded: its anomaly went, pruned by retention (or never was), before the feedback was stored. */
export const feedbackOnGoneAnomaly = (anomalyId: number) =>
  new PipelineError(
    'not_found',
    `anomaly ${anomalyId} is gone (closed anomalies older than FP_DETECTION_RETENTION_DAYS are pruned): the feedback was not recorded`
  );

/**
 * The oldest prediction rows made before the cutoff whose predicted crossing was due before it too,
 * at most `limit`: a long forecast's first row is what the list shows of it while it still runs.
 */
export const prunePredictionsSql = (p: Params<'before' | 'limit'>) => `
  DELETE FROM predictions WHERE id IN (
    SELECT id FROM predictions
     WHERE made_at_ms < ${p.before} AND made_at_ms + seconds * 1000 < ${p.before}
     ORDER BY made_at_ms
     LIMIT ${p.limit})`;

/**
 * The oldest model versions trained before the cutoff that nothing runs any more (superseded, or a
 * training that failed), at most `limit`. A target's current version (active, or retired with its
 * target) stays, and so does its latest version of any kind: the next version is numbered after it.
 */
export const pruneModelsSql = (p: Params<'before' | 'limit'>) => `
  DELETE FROM models WHERE id IN (
    SELECT m.id FROM models m
     WHERE m.status IN ('superseded', 'failed') AND m.trained_at < ${p.before}
       AND EXISTS (SELECT 1 FROM models n WHERE n.target_id = m.target_id AND n.version > m.version)
     ORDER BY m.trained_at
     LIMIT ${p.limit})`;

/**
 * When a retrain request was answered: run (done_at) or expired (expired_at), never both; null while
 * it waits or runs. Migration 0023's index (PostgreSQL 19) is on this expression, and serves only a
 * query naming it as written here.
 */
export const RETRAIN_ANSWERED_AT = 'COALESCE(done_at, expired_at)';

/**
 * The retrain requests answered longest before the cutoff, at most `limit`, but never a target's
 * newest: the Models page shows each target's newest request as what became of its last "Retrain
 * now" (queued, running, expired, failed), and with it gone would show an older one's state as the
 * answer, or nothing. So one request per target stays, as its current model version does; a "Retrain
 * all" repeated on a large fleet leaves no more than that. One waiting or running has no answer yet,
 * so it stays. Requests from before they followed targets (target null) are not shown there and go
 * once answered.
 */
export const pruneRetrainRequestsSql = (p: Params<'before' | 'limit'>) => `
  DELETE FROM retrain_requests WHERE id IN (
    SELECT r.id FROM retrain_requests r
     WHERE ${RETRAIN_ANSWERED_AT} < ${p.before}
       AND (r.target_id IS NULL
            OR EXISTS (SELECT 1 FROM retrain_requests n WHERE n.target_id = r.target_id AND n.id > r.id))
     ORDER BY ${RETRAIN_ANSWERED_AT}
     LIMIT ${p.limit})`;

const prunableRow = z.object({ id: z.number().int(), feedback: z.number().int() });

/** The anomalies of a batch (rowBudgetBatch: they and their feedback within `limit` rows). */
export function anomalyBatchOf(rows: unknown[], limit: number): { ids: number[]; more: boolean } {
  const candidates = rows.map((row) => decodeRow(prunableRow, 'anomalies', row));
  const { keys, more } = rowBudgetBatch(
    candidates.map(({ id, feedback }) => ({ key: id, children: feedback })),
    limit
  );
  return { ids: keys, more };
}

const SQLITE_PARAMS = {
  before: '@before',
  labelledBefore: '@labelledBefore',
  limit: '@limit',
  // Named: SQLite's planner takes the state index (an equality) and sorts every closed anomaly otherwise.
  from: 'anomalies a INDEXED BY anomalies_closed_end',
} as const;

/** The detection prune on the embedded SQLite store, each batch one transaction. */
export class SqliteDetectionPrune {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      prunable: db.prepare(prunableAnomaliesSql(SQLITE_PARAMS)),
      // Feedback first: each row names its anomaly (a foreign key).
      feedback: db.prepare('DELETE FROM anomaly_feedback WHERE anomaly_id IN (SELECT value FROM json_each(?))'),
      anomalies: db.prepare('DELETE FROM anomalies WHERE id IN (SELECT value FROM json_each(?))'),
      predictions: db.prepare(prunePredictionsSql(SQLITE_PARAMS)),
      models: db.prepare(pruneModelsSql(SQLITE_PARAMS)),
      retrainRequests: db.prepare(pruneRetrainRequestsSql(SQLITE_PARAMS)),
    };
  }

  anomalies(cutoffs: AnomalyCutoffs, limit: number): DetectionPruneBatch {
    return this.db.transaction((): DetectionPruneBatch => {
      const { ids, more } = anomalyBatchOf(this.s.prunable.all({ ...cutoffs, limit }), limit);
      const list = JSON.stringify(ids);
      const feedback = this.s.feedback.run(list).changes;
      return { deleted: { anomaly_feedback: feedback, anomalies: this.s.anomalies.run(list).changes }, more };
    })();
  }

  predictions(before: number, limit: number): DetectionPruneBatch {
    const deleted = this.s.predictions.run({ before, limit }).changes;
    return { deleted: { predictions: deleted }, more: deleted >= limit };
  }

  models(before: number, limit: number): DetectionPruneBatch {
    const deleted = this.s.models.run({ before, limit }).changes;
    return { deleted: { models: deleted }, more: deleted >= limit };
  }

  retrainRequests(before: number, limit: number): DetectionPruneBatch {
    const deleted = this.s.retrainRequests.run({ before, limit }).changes;
    return { deleted: { retrain_requests: deleted }, more: deleted >= limit };
  }
}
