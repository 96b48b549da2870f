import { z } from 'zod';
import type { CycleWrite } from '../../pipeline/store/repository';
import { encodeState } from '../../pipeline/store/stateCodec';
import { summaryValues } from '../../pipeline/store/summaryTable';
import { peersText } from '../../pipeline/store/watchTable';
import type { AnomalyRecord } from '../../pipeline/targetModel';
import { decodeRow, StoredRowError } from '../rows';
import type { Run } from './database';
import { storedText } from './nulText';

/**
 * Rows per statement: a cycle of a large watch is written in a few statements of whole arrays
 * (unnest), not one round trip per row, and no one message grows without bound.
 */
const ROWS_PER_STATEMENT = 2_000;

const upsertedSchema = z.object({ id: z.number().int(), target_id: z.string(), start_ms: z.number() });

/**
 * Writes one cycle on `client`, inside the caller's transaction; resolves to the anomalies' ids in
 * the order of `write.anomalies`. A key given twice in one cycle is written once, with its last
 * value: one INSERT ... ON CONFLICT may not change a row twice.
 */
export async function writeCycle(client: { query: Run }, write: CycleWrite, now: number): Promise<number[]> {
  // By the target id as stored (nulText), which is what the upsert returns.
  const anomalyKey = (a: AnomalyRecord) => `${storedText(a.targetId)}\u0000${a.start}`;
  const ids = new Map<string, number>();
  for (const rows of chunks(lastByKey(write.anomalies, anomalyKey))) {
    const { rows: upserted } = await client.query(
      `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state, signals,
         direction, reasons, peak, created_at, updated_at)
       SELECT t, w, l::jsonb, s, e, p, sev, fm, st, sig::jsonb, d, r::jsonb, pk::jsonb, $14, $14
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::text[], $8::text[],
         $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) AS u(t, w, l, s, e, p, sev, fm, st, sig, d, r, pk)
       ON CONFLICT ON CONSTRAINT anomalies_target_start DO UPDATE SET end_ms = EXCLUDED.end_ms, peak_score = EXCLUDED.peak_score,
         peak = EXCLUDED.peak,
         severity = EXCLUDED.severity, failure_model = EXCLUDED.failure_model, state = EXCLUDED.state,
         signals = EXCLUDED.signals, direction = EXCLUDED.direction, reasons = EXCLUDED.reasons, updated_at = EXCLUDED.updated_at
       RETURNING id, target_id, start_ms`,
      [
        rows.map((a) => a.targetId),
        rows.map((a) => a.watch),
        rows.map((a) => JSON.stringify(a.labels)),
        rows.map((a) => a.start),
        rows.map((a) => a.end),
        rows.map((a) => a.peakScore),
        rows.map((a) => a.severity),
        rows.map((a) => a.failureModel),
        rows.map((a) => a.state),
        rows.map((a) => JSON.stringify(a.signals)),
        rows.map((a) => a.direction),
        rows.map((a) => JSON.stringify(a.reasons)),
        rows.map((a) => (a.peak === undefined ? null : JSON.stringify(a.peak))),
        now,
      ]
    );
    for (const raw of upserted) {
      const row = decodeRow(upsertedSchema, 'anomalies', raw);
      ids.set(`${row.target_id}\u0000${row.start_ms}`, row.id);
    }
  }
  const predictionKey = (p: CycleWrite['predictions'][number]) => `${p.targetId}\u0000${p.signal}\u0000${p.madeAt}`;
  for (const rows of chunks(lastByKey(write.predictions, predictionKey))) {
    await client.query(
      `INSERT INTO predictions (target_id, watch, signal, made_at_ms, limit_value, direction, seconds, lower_seconds, upper_seconds)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::float8[], $6::text[], $7::float8[],
         $8::float8[], $9::float8[])
       ON CONFLICT ON CONSTRAINT predictions_target_signal_time DO UPDATE SET seconds = EXCLUDED.seconds,
         lower_seconds = EXCLUDED.lower_seconds, upper_seconds = EXCLUDED.upper_seconds`,
      [
        rows.map((p) => p.targetId),
        rows.map((p) => p.watch),
        rows.map((p) => p.signal),
        rows.map((p) => p.madeAt),
        rows.map((p) => p.limit),
        rows.map((p) => p.direction),
        rows.map((p) => p.seconds),
        rows.map((p) => p.lowerSeconds),
        rows.map((p) => p.upperSeconds),
      ]
    );
  }
  // Each state encoded as it is built, so no more than one is alive unencoded (checkpoint.ts).
  const encoded = Array.from(write.targets, ({ id, watch, labels, state }) => ({
    id,
    watch,
    labels,
    checkpoint: encodeState(state),
    lastAt: state.lastAt,
  }));
  for (const rows of chunks(lastByKey(encoded, (t) => t.id))) {
    await client.query(
      `INSERT INTO pipeline_targets (id, watch, labels, checkpoint, last_sample_ms, updated_at)
       SELECT i, w, l::jsonb, c, s, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bigint[]) AS u(i, w, l, c, s)
       ON CONFLICT (id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, last_sample_ms = EXCLUDED.last_sample_ms,
         updated_at = EXCLUDED.updated_at`,
      [
        rows.map((t) => t.id),
        rows.map((t) => t.watch),
        rows.map((t) => JSON.stringify(t.labels)),
        rows.map((t) => t.checkpoint),
        rows.map((t) => t.lastAt),
        now,
      ]
    );
  }
  if (write.forgotten.length > 0) {
    await client.query('DELETE FROM pipeline_targets WHERE id = ANY($1::text[])', [write.forgotten]);
    await client.query('DELETE FROM pipeline_target_summaries WHERE id = ANY($1::text[])', [write.forgotten]);
    await client.query(`UPDATE models SET status = 'retired' WHERE target_id = ANY($1::text[]) AND status = 'active'`, [
      write.forgotten,
    ]);
  }
  for (const rows of chunks(lastByKey(write.summaries ?? [], (s) => `${s.target.watch}\u0000${s.target.id}`))) {
    const values = rows.map(summaryValues);
    await client.query(
      `INSERT INTO pipeline_target_summaries (watch, id, owner, severity, anomalous, summary, scores, updated_at)
       SELECT w, i, o, s, a, j::jsonb, h::jsonb, $8
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[]) AS u(w, i, o, s, a, j, h)
       ON CONFLICT (watch, id) DO UPDATE SET owner = EXCLUDED.owner, severity = EXCLUDED.severity,
         anomalous = EXCLUDED.anomalous, summary = EXCLUDED.summary,
         scores = COALESCE(EXCLUDED.scores, pipeline_target_summaries.scores), updated_at = EXCLUDED.updated_at`,
      [...[0, 1, 2, 3, 4, 5, 6].map((c) => values.map((v) => v[c])), now]
    );
  }
  // Absent: the states alone (a large checkpoint's pieces ahead of its last transaction).
  if (write.lastProcessed !== undefined) {
    await client.query(
      `INSERT INTO pipeline_watches (name, last_processed_ms, updated_at, peers) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (name) DO UPDATE SET last_processed_ms = EXCLUDED.last_processed_ms, updated_at = EXCLUDED.updated_at,
         -- By group: each replica writes the groups it scores, the others' stay (an unreadable row is replaced).
         -- and the forgotten ones go.
         peers = CASE WHEN EXCLUDED.peers IS NULL THEN pipeline_watches.peers - $5::text[]
                      WHEN jsonb_typeof(pipeline_watches.peers) = 'object' THEN (pipeline_watches.peers || EXCLUDED.peers) - $5::text[]
                      ELSE EXCLUDED.peers - $5::text[] END`,
      [write.watch, write.lastProcessed, now, peersText(write.peers), write.peersForgotten ?? []]
    );
  }
  return write.anomalies.map((a) => {
    const id = ids.get(anomalyKey(a));
    if (id === undefined) {
      throw new StoredRowError(`anomalies row ${a.targetId} at ${a.start} was not returned by its upsert`);
    }
    return id;
  });
}

function lastByKey<T>(rows: T[], key: (row: T) => string): T[] {
  return [...new Map(rows.map((row) => [key(row), row])).values()];
}

function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    yield rows.slice(i, i + ROWS_PER_STATEMENT);
  }
}
