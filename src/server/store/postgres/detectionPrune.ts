import {
  anomalyBatchOf,
  prunableAnomaliesSql,
  pruneModelsSql,
  prunePredictionsSql,
  pruneRetrainRequestsSql,
  type AnomalyCutoffs,
  type DetectionPruneBatch,
} from '../../pipeline/store/detectionPrune';
import type { Run } from './database';

// Detection retention's deletes on PostgreSQL (src/server/pipeline/store/detectionPrune.ts says what
// goes), each batch inside the caller's transaction.

/**
 * The oldest prunable anomalies with their feedback. Locked as they are picked, and one another
 * replica holds skipped: feedback being recorded on it waits for this batch, then finds it gone.
 */
export async function pruneAnomalies(run: Run, cutoffs: AnomalyCutoffs, limit: number): Promise<DetectionPruneBatch> {
  const sql = prunableAnomaliesSql({
    before: '$1::bigint',
    labelledBefore: '$2::bigint',
    limit: '$3::int',
    from: 'anomalies a',
  });
  const { rows } = await run(`${sql} FOR UPDATE OF a SKIP LOCKED`, [cutoffs.before, cutoffs.labelledBefore, limit]);
  const { ids, more } = anomalyBatchOf(rows, limit);
  // Feedback first: each row names its anomaly (a foreign key).
  const feedback = await run('DELETE FROM anomaly_feedback WHERE anomaly_id = ANY($1::bigint[])', [ids]);
  const anomalies = await run('DELETE FROM anomalies WHERE id = ANY($1::bigint[])', [ids]);
  return { deleted: { anomaly_feedback: feedback.rowCount ?? 0, anomalies: anomalies.rowCount ?? 0 }, more };
}

const ROWS_BEFORE = { before: '$1::bigint', limit: '$2::int' } as const;

export async function prunePredictions(run: Run, before: number, limit: number): Promise<DetectionPruneBatch> {
  const deleted = (await run(prunePredictionsSql(ROWS_BEFORE), [before, limit])).rowCount ?? 0;
  return { deleted: { predictions: deleted }, more: deleted >= limit };
}

export async function pruneModels(run: Run, before: number, limit: number): Promise<DetectionPruneBatch> {
  const deleted = (await run(pruneModelsSql(ROWS_BEFORE), [before, limit])).rowCount ?? 0;
  return { deleted: { models: deleted }, more: deleted >= limit };
}

export async function pruneRetrainRequests(run: Run, before: number, limit: number): Promise<DetectionPruneBatch> {
  const deleted = (await run(pruneRetrainRequestsSql(ROWS_BEFORE), [before, limit])).rowCount ?? 0;
  return { deleted: { retrain_requests: deleted }, more: deleted >= limit };
}
