import { z } from 'zod';
import {
  anomalyBatchOf,
  anomalyPrunable,
  prunableAnomaliesSql,
  pruneModelsSql,
  prunePredictionsSql,
  pruneRetrainRequestsSql,
  type AnomalyCutoffs,
  type DetectionPruneBatch,
} from '../../pipeline/store/detectionPrune';
import { decodeRow } from '../rows';
import type { Run } from './database';

// Detection retention's deletes on PostgreSQL (src/server/pipeline/store/detectionPrune.ts says what
// goes), each batch inside the caller's transaction.

const CUTOFFS = { before: '$1::bigint', labelledBefore: '$2::bigint' } as const;
const idRow = z.object({ id: z.number().int() });

/**
 * The oldest prunable anomalies with their feedback. Locked as they are picked, and one another
 * replica holds skipped (feedback being stored on it holds it: see addFeedback). The pick reads what
 * had committed when its statement began: feedback stored while it ran would go with its anomaly,
 * lost after the operator was told it was recorded. So once they are locked (feedback on them waits
 * for this batch from then on, then finds them gone) they are read again, and those that became
 * unprunable stay.
 */
export async function pruneAnomalies(run: Run, cutoffs: AnomalyCutoffs, limit: number): Promise<DetectionPruneBatch> {
  const sql = prunableAnomaliesSql({ ...CUTOFFS, limit: '$3::int', from: 'anomalies a' });
  const params = [cutoffs.before, cutoffs.labelledBefore];
  const { rows } = await run(`${sql} FOR UPDATE OF a SKIP LOCKED`, [...params, limit]);
  const picked = anomalyBatchOf(rows, limit);
  const still = await run(
    `SELECT a.id FROM anomalies a WHERE a.id = ANY($3::bigint[]) AND ${anomalyPrunable(CUTOFFS)}`,
    [...params, picked.ids]
  );
  const ids = still.rows.map((row) => decodeRow(idRow, 'anomalies', row).id);
  const { more } = picked;
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
