import type Database from 'better-sqlite3';
import { z } from 'zod';
import type {
  Anomaly,
  AnomaliesQuery,
  Feedback,
  FeedbackKind,
  FeedbackSource,
  ModelsQuery,
  ModelVersion,
  Prediction,
  PredictionsQuery,
} from '../../../contract/pipeline';
import type { AnomalyRecord, PredictionRecord } from '../targetModel';
import { decodeCursor, encodeCursor, timeIdKeySchema } from './cursor';
import { decodeLegacyState, decodeState, encodeState, replaceNaN, reviveNaN } from './stateCodec';
import type { TargetModelState } from './targetState';

export interface StoredTarget {
  id: string;
  watch: string;
  labels: Record<string, string>;
  state: TargetModelState;
}

export interface NewModelVersion {
  watch: string;
  targetId: string;
  status: 'active' | 'failed';
  error?: string;
  reason: ModelVersion['reason'];
  trainedAt: number;
  rangeStart: number;
  rangeEnd: number;
  samples: number;
  params: Record<string, unknown>;
  threshold: number;
  feedback: { falsePositive: number; confirmed: number };
}

/** Everything a cycle writes, committed together so a crash leaves the last cycle whole or absent. */
export interface CycleWrite {
  watch: string;
  lastProcessed: number;
  targets: StoredTarget[];
  anomalies: AnomalyRecord[];
  predictions: PredictionRecord[];
  forgotten: string[];
  /** The watch's peer groups by key; left as stored when absent. */
  peers?: StoredPeers;
}

/** A watch's peer-group detectors: which targets each group had (in order) and its state. */
export type StoredPeers = Record<string, { members: string[]; state: unknown }>;

/** A watch's stored targets, and those whose stored state cannot be read (they relearn). */
export interface StoredCheckpoint {
  targets: StoredTarget[];
  unreadable: Array<{ id: string; error: string }>;
}

/** A pipeline_targets row: `checkpoint` holds the compact state; `state` the JSON of rows written before it. */
const targetRowSchema = z.object({
  id: z.string(),
  watch: z.string(),
  labels: z.string(),
  state: z.string(),
  checkpoint: z.instanceof(Uint8Array).nullable(),
});
const labelsSchema = z.record(z.string(), z.string());

interface AnomalyRow {
  id: number;
  target_id: string;
  watch: string;
  labels: string;
  start_ms: number;
  end_ms: number;
  peak_score: number;
  severity: Anomaly['severity'];
  failure_model: Anomaly['failureModel'];
  state: Anomaly['state'];
  signals: string;
  direction: Anomaly['direction'];
  reasons: string;
  grafana_annotation_id: number | null;
}

/** The pipeline's persistence over the SQLite store (tables of migration 0002). */
export class PipelineRepository {
  private readonly s;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number
  ) {
    this.s = {
      watch: db.prepare('SELECT last_processed_ms FROM pipeline_watches WHERE name = ?'),
      definition: db.prepare('SELECT definition FROM pipeline_watches WHERE name = ?'),
      setDefinition: db.prepare(
        `INSERT INTO pipeline_watches (name, last_processed_ms, updated_at, definition) VALUES (?, NULL, ?, ?)
         ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`
      ),
      forgetWatchTargets: db.prepare('DELETE FROM pipeline_targets WHERE watch = ?'),
      forgetResumePoint: db.prepare(
        'UPDATE pipeline_watches SET last_processed_ms = NULL, peers = NULL WHERE name = ?'
      ),
      setWatch: db.prepare(
        `INSERT INTO pipeline_watches (name, last_processed_ms, updated_at, peers) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET last_processed_ms = excluded.last_processed_ms, updated_at = excluded.updated_at,
           peers = COALESCE(excluded.peers, pipeline_watches.peers)`
      ),
      peers: db.prepare('SELECT peers FROM pipeline_watches WHERE name = ?'),
      targets: db.prepare('SELECT id, watch, labels, state, checkpoint FROM pipeline_targets WHERE watch = ?'),
      setTarget: db.prepare(
        `INSERT INTO pipeline_targets (id, watch, labels, state, checkpoint, last_sample_ms, updated_at) VALUES (?, ?, ?, '', ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET state = '', checkpoint = excluded.checkpoint, last_sample_ms = excluded.last_sample_ms,
           updated_at = excluded.updated_at`
      ),
      convertTarget: db.prepare(`UPDATE pipeline_targets SET state = '', checkpoint = ? WHERE id = ?`),
      forget: db.prepare('DELETE FROM pipeline_targets WHERE id = ?'),
      upsertAnomaly: db.prepare(
        `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, severity, failure_model, state, signals, direction, reasons, created_at, updated_at)
         VALUES (@targetId, @watch, @labels, @start, @end, @peakScore, @severity, @failureModel, @state, @signals, @direction, @reasons, @now, @now)
         ON CONFLICT(target_id, start_ms) DO UPDATE SET end_ms = excluded.end_ms, peak_score = excluded.peak_score, severity = excluded.severity,
           failure_model = excluded.failure_model, state = excluded.state, signals = excluded.signals, direction = excluded.direction,
           reasons = excluded.reasons, updated_at = excluded.updated_at
         RETURNING id`
      ),
      anomaly: db.prepare('SELECT * FROM anomalies WHERE id = ?'),
      feedbackOf: db.prepare(
        'SELECT kind, source, user, comment, created_at FROM anomaly_feedback WHERE anomaly_id = ? ORDER BY id DESC'
      ),
      // One query for a page's feedback rather than one per anomaly.
      feedbackOfMany: db.prepare(
        `SELECT anomaly_id, kind, source, user, comment, created_at FROM anomaly_feedback
         WHERE anomaly_id IN (SELECT value FROM json_each(?)) ORDER BY id DESC`
      ),
      addFeedback: db.prepare(
        'INSERT INTO anomaly_feedback (anomaly_id, kind, source, user, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)'
      ),
      setAnnotation: db.prepare('UPDATE anomalies SET grafana_annotation_id = ? WHERE id = ?'),
      addPrediction: db.prepare(
        `INSERT INTO predictions (target_id, watch, signal, made_at_ms, limit_value, direction, seconds, lower_seconds, upper_seconds)
         VALUES (@targetId, @watch, @signal, @madeAt, @limit, @direction, @seconds, @lowerSeconds, @upperSeconds)
         ON CONFLICT(target_id, signal, made_at_ms) DO UPDATE SET seconds = excluded.seconds, lower_seconds = excluded.lower_seconds, upper_seconds = excluded.upper_seconds`
      ),
      // The latest feedback on an anomaly is the one that counts (an operator may change their mind).
      labelled: db.prepare(
        `SELECT a.start_ms, a.end_ms, f.kind FROM anomalies a
         JOIN anomaly_feedback f ON f.id = (SELECT MAX(id) FROM anomaly_feedback WHERE anomaly_id = a.id)
         WHERE a.target_id = ?`
      ),
      maxVersion: db.prepare('SELECT MAX(version) AS v FROM models WHERE target_id = ?'),
      supersede: db.prepare(`UPDATE models SET status = 'superseded' WHERE target_id = ? AND status = 'active'`),
      addModel: db.prepare(
        `INSERT INTO models (watch, target_id, version, status, error, reason, trained_at, range_start, range_end, samples, params, threshold, feedback_fp, feedback_confirmed)
         VALUES (@watch, @targetId, @version, @status, @error, @reason, @trainedAt, @rangeStart, @rangeEnd, @samples, @params, @threshold, @fp, @confirmed)`
      ),
    };
  }

  /**
   * Records the definition a watch runs under. When the stored state was learned under another one,
   * that state and the resume point go first, in the same transaction, so the watch replays its
   * history with fresh models (its peer groups go too); anomalies, predictions and model versions
   * stay as the record of what happened. A row from before definitions were kept is taken as
   * learned under this one. Returns whether the state was dropped.
   */
  adoptDefinition(watch: string, definition: string): boolean {
    return this.db.transaction(() => {
      const row = this.s.definition.get(watch) as { definition: string | null } | undefined;
      const changed = row?.definition != null && row.definition !== definition;
      if (changed) {
        this.s.forgetWatchTargets.run(watch);
        this.s.forgetResumePoint.run(watch);
      }
      this.s.setDefinition.run(watch, this.now(), definition);
      return changed;
    })();
  }

  lastProcessed(watch: string): number | null {
    const row = this.s.watch.get(watch) as { last_processed_ms: number | null } | undefined;
    return row?.last_processed_ms ?? null;
  }

  /** The peer groups stored with the watch's last cycle ({} when none). */
  loadPeers(watch: string): StoredPeers {
    const row = this.s.peers.get(watch) as { peers: string | null } | undefined;
    return row?.peers ? JSON.parse(row.peers, reviveNaN) : {};
  }

  /** The watch's stored targets; throws, naming the target, when one cannot be read. */
  loadTargets(watch: string): StoredTarget[] {
    const { targets, unreadable } = this.loadCheckpoint(watch);
    if (unreadable.length > 0) {
      throw new Error(`stored state of target ${unreadable[0].id} unreadable: ${unreadable[0].error}`);
    }
    return targets;
  }

  /**
   * The watch's stored targets, each checked; a row that cannot be read is listed with why rather
   * than failing the others. Rows still in the JSON form of earlier builds are rewritten in the
   * compact form, in one transaction.
   */
  loadCheckpoint(watch: string): StoredCheckpoint {
    return this.db.transaction(() => {
      const out: StoredCheckpoint = { targets: [], unreadable: [] };
      for (const raw of this.s.targets.all(watch)) {
        const row = targetRowSchema.safeParse(raw);
        if (!row.success) {
          const id = z.object({ id: z.string() }).safeParse(raw);
          out.unreadable.push({ id: id.success ? id.data.id : '(no id)', error: row.error.issues[0].message });
          continue;
        }
        const r = row.data;
        try {
          const labels = labelsSchema.parse(JSON.parse(r.labels));
          const state = r.checkpoint ? decodeState(r.checkpoint) : decodeLegacyState(r.state);
          if (!r.checkpoint) {
            this.s.convertTarget.run(encodeState(state), r.id);
          }
          out.targets.push({ id: r.id, watch: r.watch, labels, state });
        } catch (err) {
          out.unreadable.push({ id: r.id, error: (err as Error).message });
        }
      }
      return out;
    })();
  }

  /** Writes one cycle (or one chunk of a long catch-up) atomically; returns the anomalies with their ids. */
  commitCycle(write: CycleWrite): AnomalyRecord[] {
    const now = this.now();
    return this.db.transaction(() => {
      const stored = write.anomalies.map((a) => {
        const row = this.s.upsertAnomaly.get({
          ...a,
          labels: JSON.stringify(a.labels),
          signals: JSON.stringify(a.signals),
          reasons: JSON.stringify(a.reasons),
          now,
        }) as { id: number };
        a.id = row.id;
        return a;
      });
      for (const p of write.predictions) {
        this.s.addPrediction.run(p);
      }
      for (const t of write.targets) {
        this.s.setTarget.run(t.id, t.watch, JSON.stringify(t.labels), encodeState(t.state), t.state.lastAt, now);
      }
      for (const id of write.forgotten) {
        this.s.forget.run(id);
      }
      this.s.setWatch.run(
        write.watch,
        write.lastProcessed,
        now,
        write.peers ? JSON.stringify(write.peers, replaceNaN) : null
      );
      return stored;
    })();
  }

  anomaly(id: number): Anomaly | undefined {
    const row = this.s.anomaly.get(id) as AnomalyRow | undefined;
    return row ? this.toAnomaly(row) : undefined;
  }

  annotationOf(id: number): number | null {
    return (this.s.anomaly.get(id) as AnomalyRow | undefined)?.grafana_annotation_id ?? null;
  }

  setAnnotation(anomalyId: number, annotationId: number): void {
    this.s.setAnnotation.run(annotationId, anomalyId);
  }

  anomalies(q: Partial<AnomaliesQuery>): Anomaly[] {
    return this.anomalyPage(q).anomalies;
  }

  /** A page of anomalies, newest first, and the cursor of the next page (null: this is the last). */
  anomalyPage(q: Partial<AnomaliesQuery>): { anomalies: Anomaly[]; next: string | null } {
    const limit = q.limit ?? 500;
    const { sql, params } = anomaliesSql(q, limit + 1);
    const rows = this.db.prepare(sql).all(...params) as AnomalyRow[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const feedback = new Map<number, Feedback[]>();
    if (page.length > 0) {
      for (const f of this.s.feedbackOfMany.all(JSON.stringify(page.map((r) => r.id))) as FeedbackRow[]) {
        feedback.set(f.anomaly_id, [...(feedback.get(f.anomaly_id) ?? []), toFeedback(f)]);
      }
    }
    return {
      anomalies: page.map((r) => this.toAnomaly(r, feedback.get(r.id) ?? [])),
      next: rows.length > limit && last ? encodeCursor([last.start_ms, last.id]) : null,
    };
  }

  addFeedback(
    anomalyId: number,
    kind: FeedbackKind,
    source: FeedbackSource,
    user: string | null,
    comment: string | null
  ): void {
    this.s.addFeedback.run(anomalyId, kind, source, user, comment, this.now());
  }

  /** The target's anomalies whose latest feedback is `kind`, as [start, end] windows. */
  labelledWindows(targetId: string): { falsePositive: Array<[number, number]>; confirmed: Array<[number, number]> } {
    const rows = this.s.labelled.all(targetId) as Array<{ start_ms: number; end_ms: number; kind: FeedbackKind }>;
    return {
      falsePositive: rows.filter((r) => r.kind === 'false_positive').map((r) => [r.start_ms, r.end_ms]),
      confirmed: rows.filter((r) => r.kind === 'confirmed').map((r) => [r.start_ms, r.end_ms]),
    };
  }

  predictions(q: Partial<PredictionsQuery>): Prediction[] {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [clause, value] of [
      ['target_id = ?', q.target],
      ['watch = ?', q.watch],
      ['made_at_ms >= ?', q.from],
      ['made_at_ms <= ?', q.to],
    ] as const) {
      if (value !== undefined) {
        where.push(clause);
        params.push(value);
      }
    }
    const sql = `SELECT * FROM predictions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY made_at_ms DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit ?? 500) as Array<Record<string, never>>).map((r) => ({
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
      predictedFailureAt: (r.made_at_ms as number) + (r.seconds as number) * 1000,
    }));
  }

  /** Records a trained model; an active one supersedes the previous active version of its target. */
  addModel(m: NewModelVersion): number {
    return this.db.transaction(() => {
      const version = ((this.s.maxVersion.get(m.targetId) as { v: number | null }).v ?? 0) + 1;
      if (m.status === 'active') {
        this.s.supersede.run(m.targetId);
      }
      this.s.addModel.run({
        ...m,
        version,
        error: m.error ?? null,
        params: JSON.stringify(m.params),
        fp: m.feedback.falsePositive,
        confirmed: m.feedback.confirmed,
      });
      return version;
    })();
  }

  models(q: Partial<ModelsQuery>): ModelVersion[] {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['target_id', q.target],
      ['watch', q.watch],
      ['status', q.status],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    const sql = `SELECT * FROM models ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY trained_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit ?? 500) as Array<Record<string, never>>).map((r) => ({
      id: r.id,
      watch: r.watch,
      target: r.target_id,
      version: r.version,
      status: r.status,
      error: r.error,
      trainedAt: r.trained_at,
      rangeStart: r.range_start,
      rangeEnd: r.range_end,
      samples: r.samples,
      params: JSON.parse(r.params),
      threshold: r.threshold,
      feedback: { falsePositive: r.feedback_fp, confirmed: r.feedback_confirmed },
      reason: r.reason,
    }));
  }

  private toAnomaly(r: AnomalyRow, feedback?: Feedback[]): Anomaly {
    return {
      id: r.id,
      target: r.target_id,
      watch: r.watch,
      labels: JSON.parse(r.labels),
      start: r.start_ms,
      end: r.end_ms,
      peakScore: r.peak_score,
      severity: r.severity,
      failureModel: r.failure_model,
      state: r.state,
      signals: JSON.parse(r.signals),
      direction: r.direction,
      reasons: JSON.parse(r.reasons),
      feedback: feedback ?? (this.s.feedbackOf.all(r.id) as FeedbackRow[]).map(toFeedback),
    };
  }
}

interface FeedbackRow {
  anomaly_id: number;
  kind: FeedbackKind;
  source: FeedbackSource;
  user: string | null;
  comment: string | null;
  created_at: number;
}

function toFeedback(f: FeedbackRow): Feedback {
  return { kind: f.kind, source: f.source, user: f.user, comment: f.comment, at: f.created_at };
}

/**
 * The anomalies list query: its filters, then the page after `cursor`, newest first. Every form
 * reads an index in order (migration 0007), so a page costs its rows, not the table.
 */
export function anomaliesSql(q: Partial<AnomaliesQuery>, limit: number): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.from !== undefined) {
    where.push('end_ms >= ?');
    params.push(q.from);
  }
  if (q.to !== undefined) {
    where.push('start_ms <= ?');
    params.push(q.to);
  }
  for (const [column, value] of [
    ['target_id', q.target],
    ['watch', q.watch],
    ['severity', q.severity],
    ['state', q.state],
  ] as const) {
    if (value !== undefined) {
      where.push(`${column} = ?`);
      params.push(value);
    }
  }
  if (q.cursor !== undefined) {
    const [start, id] = decodeCursor(q.cursor, timeIdKeySchema);
    // The range term alone bounds the index read; the OR only filters (as one OR term, SQLite would read two indexes and sort).
    where.push('start_ms <= ? AND (start_ms < ? OR id < ?)');
    params.push(start, start, id);
  }
  const sql = `SELECT * FROM anomalies ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_ms DESC, id DESC LIMIT ?`;
  return { sql, params: [...params, limit] };
}
