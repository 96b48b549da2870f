import { messageOf } from '../../../utils/messageOf';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { labelsSchema } from '../../../contract/vocabulary';
import { decodeRow, jsonColumn } from '../../store/rows';
import { decodeLegacyState, decodeState, encodeState } from './stateCodec';
import type { TargetModelState } from './targetState';

export interface StoredTarget {
  id: string;
  watch: string;
  labels: Record<string, string>;
  state: TargetModelState;
}

/**
 * A stored target without its state: what the API shows of a target no runner scores now (its watch
 * removed, its series gone), the state being the runner's to read.
 */
export interface TargetRecord {
  watch: string;
  labels: Record<string, string>;
  /** Its last step with a sample (null: none yet). */
  lastSampleAt: number | null;
}

/** One target's record, `?` its id; `json` selects a JSON column as text (PostgreSQL's are JSONB). */
export const targetRecordSql = (json: (column: string) => string = (column) => column) =>
  `SELECT watch, ${json('labels')}, last_sample_ms FROM pipeline_targets WHERE id = ?`;

const targetRecordRowSchema = z.object({
  watch: z.string(),
  labels: jsonColumn(labelsSchema),
  last_sample_ms: z.number().nullable(),
});

export function readTargetRecord(raw: unknown): TargetRecord {
  const row = decodeRow(targetRecordRowSchema, 'pipeline_targets', raw);
  return { watch: row.watch, labels: row.labels, lastSampleAt: row.last_sample_ms };
}

/** A watch's stored targets, and those whose stored state cannot be read (they relearn). */
export interface StoredCheckpoint {
  targets: StoredTarget[];
  unreadable: Array<{ id: string; error: string }>;
}

/**
 * A pipeline_targets row: `checkpoint` holds the compact state; in SQLite `state` holds the JSON of
 * rows written before it (PostgreSQL has only the compact form).
 */
const targetRowSchema = z.object({
  id: z.string(),
  watch: z.string(),
  labels: z.string(),
  state: z.string().optional(),
  checkpoint: z.instanceof(Uint8Array).nullable(),
});

/** One stored target read back, `legacy` when its state was in the JSON form; or why it cannot be read. */
export type TargetRead = { target: StoredTarget; legacy: boolean } | { unreadable: { id: string; error: string } };

export function readTargetRow(raw: unknown): TargetRead {
  const row = targetRowSchema.safeParse(raw);
  if (!row.success) {
    const id = z.object({ id: z.string() }).safeParse(raw);
    return { unreadable: { id: id.success ? id.data.id : '(no id)', error: row.error.issues[0].message } };
  }
  const r = row.data;
  try {
    const labels = labelsSchema.parse(JSON.parse(r.labels));
    const state = r.checkpoint ? decodeState(r.checkpoint) : decodeLegacyState(r.state ?? '');
    return { target: { id: r.id, watch: r.watch, labels, state }, legacy: !r.checkpoint };
  } catch (err) {
    return { unreadable: { id: r.id, error: messageOf(err) } };
  }
}

/** pipeline_targets: each target's checkpointed model state. */
export class TargetTable {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      targets: db.prepare('SELECT id, watch, labels, state, checkpoint FROM pipeline_targets WHERE watch = ?'),
      setTarget: db.prepare(
        `INSERT INTO pipeline_targets (id, watch, labels, state, checkpoint, last_sample_ms, updated_at) VALUES (?, ?, ?, '', ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET state = '', checkpoint = excluded.checkpoint, last_sample_ms = excluded.last_sample_ms,
           updated_at = excluded.updated_at`
      ),
      convertTarget: db.prepare(`UPDATE pipeline_targets SET state = '', checkpoint = ? WHERE id = ?`),
      forget: db.prepare('DELETE FROM pipeline_targets WHERE id = ?'),
      record: db.prepare(targetRecordSql()),
    };
  }

  /**
   * The watch's stored targets, each checked; a row that cannot be read is listed with why rather
   * than failing the others. Rows still in the JSON form of earlier builds are rewritten in the
   * compact form (the caller holds the transaction).
   */
  load(watch: string): StoredCheckpoint {
    const out: StoredCheckpoint = { targets: [], unreadable: [] };
    for (const raw of this.s.targets.all(watch)) {
      const read = readTargetRow(raw);
      if ('unreadable' in read) {
        out.unreadable.push(read.unreadable);
        continue;
      }
      if (read.legacy) {
        this.s.convertTarget.run(encodeState(read.target.state), read.target.id);
      }
      out.targets.push(read.target);
    }
    return out;
  }

  write(t: StoredTarget, now: number): void {
    this.s.setTarget.run(t.id, t.watch, JSON.stringify(t.labels), encodeState(t.state), t.state.lastAt, now);
  }

  forget(id: string): void {
    this.s.forget.run(id);
  }

  record(id: string): TargetRecord | undefined {
    const row = this.s.record.get(id);
    return row === undefined ? undefined : readTargetRecord(row);
  }
}
