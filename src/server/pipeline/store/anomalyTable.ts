import type Database from 'better-sqlite3';
import { z } from 'zod';
import {
  anomalyStateSchema,
  directionSchema,
  episodePeakSchema,
  failureModelSchema,
  feedbackKindSchema,
  feedbackSourceSchema,
  labelsSchema,
  severitySchema,
  type Anomaly,
  type AnomaliesQuery,
  type Feedback,
  type FeedbackKind,
  type FeedbackSource,
} from '../../../contract/pipeline';
import { departureLabelsSchema } from '../../../contract/signalDepartures';
import { decodeRow, jsonColumn, StoredRowError } from '../../store/rows';
import { statementCache } from '../../store/statements';
import type { AnomalyRecord } from '../targetModel';
import { decodeCursor, encodeCursor, timeIdKeySchema } from './cursor';
import type { AnomalyPage, LabelledWindows } from './repository';

const strings = z.array(z.string());

/** An anomalies row as the list reads it (`SELECT *`; the timestamps of the row itself are left out). */
const anomalyRowSchema = z.object({
  id: z.number().int(),
  target_id: z.string(),
  watch: z.string(),
  labels: jsonColumn(labelsSchema),
  start_ms: z.number(),
  end_ms: z.number(),
  peak_score: z.number(),
  peak: jsonColumn(episodePeakSchema).nullable(),
  severity: severitySchema,
  failure_model: failureModelSchema,
  state: anomalyStateSchema,
  // Earlier builds named a forecast anew at each step of its countdown: listed once, as this build names it.
  signals: jsonColumn(departureLabelsSchema),
  direction: directionSchema,
  reasons: jsonColumn(strings),
});
type AnomalyRow = z.output<typeof anomalyRowSchema>;

const feedbackRowSchema = z.object({
  id: z.number().int(),
  kind: feedbackKindSchema,
  source: feedbackSourceSchema,
  user: z.string().nullable(),
  comment: z.string().nullable(),
  created_at: z.number(),
});
const pageFeedbackRowSchema = feedbackRowSchema.extend({ anomaly_id: z.number().int() });
const insertedSchema = z.object({ id: z.number().int() });
const annotationRowSchema = z.object({ grafana_annotation_id: z.number().int().nullable() });
const labelledRowSchema = z.object({
  id: z.number().int(),
  start_ms: z.number(),
  end_ms: z.number(),
  kind: feedbackKindSchema,
});

const ANOMALIES = 'anomalies';
const FEEDBACK = 'anomaly_feedback';

/** The columns of an anomaly_feedback row as an anomaly reads it. */
const FEEDBACK_COLUMNS = 'id, kind, source, user, comment, created_at';

/**
 * The feedback each of a target's anomalies counts with in training (`?`: the target), one row per
 * anomaly with any: its latest operator feedback, else its latest verification. Verification calls an
 * action recovered once its anomaly ended, as any transient false positive does whether the action
 * helped or not: as the latest word, its `confirmed` would overrule the operator's `false_positive`,
 * and the detector would never learn the shape that keeps raising the same action.
 */
export const LABELLED_SQL = `SELECT f.id, a.start_ms, a.end_ms, f.kind FROM anomalies a
  JOIN anomaly_feedback f ON f.id = (
    SELECT id FROM anomaly_feedback WHERE anomaly_id = a.id
    ORDER BY CASE source WHEN 'operator' THEN 0 ELSE 1 END, id DESC LIMIT 1)
  WHERE a.target_id = ?`;

/**
 * Where the anomaly lists report an anomaly_feedback row they cannot read and leave out: once per
 * row, as each list showing its anomaly would otherwise say it again. The anomaly itself is fine, and
 * refusing the page would keep operators from the buttons that correct it. Without a `warn`, Node's
 * process warning (stderr).
 */
export class UnreadableFeedback {
  private readonly told = new Set<number>();

  constructor(private readonly warn: (message: string) => void = (m) => process.emitWarning(m)) {}

  /** The row's feedback, or undefined (told) when it does not fit. */
  read<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> | undefined {
    try {
      return decodeRow(schema, FEEDBACK, raw);
    } catch (err) {
      if (!(err instanceof StoredRowError)) {
        throw err;
      }
      const id = z.object({ id: z.number() }).safeParse(raw);
      const key = id.success ? id.data.id : NaN;
      if (!this.told.has(key)) {
        this.told.add(key);
        this.warn(`${err.message}: left out of its anomaly's feedback`);
      }
      return undefined;
    }
  }
}

/** anomalies and anomaly_feedback: what was found, and what people (or verification) said of it. */
export class AnomalyTable {
  private readonly s;
  private readonly statement;

  constructor(
    db: Database.Database,
    private readonly unreadable = new UnreadableFeedback()
  ) {
    this.statement = statementCache(db);
    this.s = {
      upsert: db.prepare(
        `INSERT INTO anomalies (target_id, watch, labels, start_ms, end_ms, peak_score, peak, severity, failure_model, state, signals, direction, reasons, created_at, updated_at)
         VALUES (@targetId, @watch, @labels, @start, @end, @peakScore, @peak, @severity, @failureModel, @state, @signals, @direction, @reasons, @now, @now)
         ON CONFLICT(target_id, start_ms) DO UPDATE SET end_ms = excluded.end_ms, peak_score = excluded.peak_score, peak = excluded.peak, severity = excluded.severity,
           failure_model = excluded.failure_model, state = excluded.state, signals = excluded.signals, direction = excluded.direction,
           reasons = excluded.reasons, updated_at = excluded.updated_at
         RETURNING id`
      ),
      anomaly: db.prepare('SELECT * FROM anomalies WHERE id = ?'),
      annotation: db.prepare('SELECT grafana_annotation_id FROM anomalies WHERE id = ?'),
      feedbackOf: db.prepare(`SELECT ${FEEDBACK_COLUMNS} FROM anomaly_feedback WHERE anomaly_id = ? ORDER BY id DESC`),
      // One query for a page's feedback rather than one per anomaly.
      feedbackOfMany: db.prepare(
        `SELECT anomaly_id, ${FEEDBACK_COLUMNS} FROM anomaly_feedback
         WHERE anomaly_id IN (SELECT value FROM json_each(?)) ORDER BY id DESC`
      ),
      // One statement: the anomaly a prune deleted since it was read gets no feedback (rather than a foreign-key failure).
      addFeedback: db.prepare(
        `INSERT INTO anomaly_feedback (anomaly_id, kind, source, user, comment, created_at)
           SELECT id, ?, ?, ?, ?, ? FROM anomalies WHERE id = ?`
      ),
      setAnnotation: db.prepare('UPDATE anomalies SET grafana_annotation_id = ? WHERE id = ?'),
      labelled: db.prepare(LABELLED_SQL),
    };
  }

  /** Inserts or extends (same target and start) the anomaly; returns its id. */
  upsert(a: AnomalyRecord, now: number): number {
    const row = this.s.upsert.get({
      ...a,
      labels: JSON.stringify(a.labels),
      peak: a.peak === undefined ? null : JSON.stringify(a.peak),
      signals: JSON.stringify(a.signals),
      reasons: JSON.stringify(a.reasons),
      now,
    });
    return readInsertedId(row, a);
  }

  anomaly(id: number): Anomaly | undefined {
    const raw = this.s.anomaly.get(id);
    return raw === undefined ? undefined : readAnomaly(raw, this.s.feedbackOf.all(id), this.unreadable);
  }

  annotationOf(id: number): number | null {
    return readAnnotation(this.s.annotation.get(id), id);
  }

  setAnnotation(anomalyId: number, annotationId: number): void {
    this.s.setAnnotation.run(annotationId, anomalyId);
  }

  /** A page of anomalies, newest first, and the cursor of the next page (null: this is the last). */
  page(q: Partial<AnomaliesQuery>): AnomalyPage {
    const limit = q.limit ?? DEFAULT_PAGE;
    const { sql, params } = anomaliesSql(q, limit + 1);
    const page = pageRows(this.statement(sql).all(...params), limit);
    const feedback = page.rows.length > 0 ? this.s.feedbackOfMany.all(JSON.stringify(page.rows.map((r) => r.id))) : [];
    return withFeedback(page, feedback, this.unreadable);
  }

  /** Records feedback on the anomaly; false, recording nothing, when the anomaly is gone. */
  addFeedback(
    anomalyId: number,
    kind: FeedbackKind,
    source: FeedbackSource,
    user: string | null,
    comment: string | null,
    now: number
  ): boolean {
    return this.s.addFeedback.run(kind, source, user, comment, now, anomalyId).changes === 1;
  }

  /** The target's anomalies by the feedback they count with in training (LABELLED_SQL), as [start, end] windows. */
  labelledWindows(targetId: string): LabelledWindows {
    return labelledFrom(this.s.labelled.all(targetId));
  }
}

/** The page size when the query names none. */
export const DEFAULT_PAGE = 500;

/** The rows of a page read with a limit one above `limit`: the page's rows, and the cursor of the next. */
export function pageRows(raw: unknown[], limit: number): { rows: AnomalyRow[]; next: string | null } {
  const rows = raw.slice(0, limit).map((r) => decodeRow(anomalyRowSchema, ANOMALIES, r));
  const last = rows.at(-1);
  return { rows, next: raw.length > limit && last ? encodeCursor([last.start_ms, last.id]) : null };
}

/** The page's anomalies with their feedback (`feedback`: the rows of every anomaly of the page, newest first). */
export function withFeedback(
  page: { rows: AnomalyRow[]; next: string | null },
  feedback: unknown[],
  unreadable: UnreadableFeedback
): AnomalyPage {
  const byAnomaly = new Map<number, Feedback[]>();
  for (const raw of feedback) {
    const f = unreadable.read(pageFeedbackRowSchema, raw);
    if (f) {
      byAnomaly.set(f.anomaly_id, [...(byAnomaly.get(f.anomaly_id) ?? []), toFeedback(f)]);
    }
  }
  return { anomalies: page.rows.map((r) => toAnomaly(r, byAnomaly.get(r.id) ?? [])), next: page.next };
}

/** One anomaly row and the rows of its feedback, newest first. */
export function readAnomaly(raw: unknown, feedback: unknown[], unreadable: UnreadableFeedback): Anomaly {
  const rows = feedback.map((f) => unreadable.read(feedbackRowSchema, f));
  return toAnomaly(decodeRow(anomalyRowSchema, ANOMALIES, raw), rows.filter((f) => f !== undefined).map(toFeedback));
}

export function readAnnotation(raw: unknown, id: number): number | null {
  return raw === undefined ? null : decodeRow(annotationRowSchema, ANOMALIES, raw, String(id)).grafana_annotation_id;
}

/** The id an upsert returned. */
export function readInsertedId(raw: unknown, a: AnomalyRecord): number {
  return decodeRow(insertedSchema, ANOMALIES, raw, `${a.targetId} at ${a.start}`).id;
}

/** (feedback id, start, end, kind) rows of LABELLED_SQL, as windows by kind. An unreadable row fails its target's retraining, naming itself. */
export function labelledFrom(raw: unknown[]): LabelledWindows {
  const rows = raw.map((r) => decodeRow(labelledRowSchema, FEEDBACK, r));
  return {
    falsePositive: rows.filter((r) => r.kind === 'false_positive').map((r) => [r.start_ms, r.end_ms]),
    confirmed: rows.filter((r) => r.kind === 'confirmed').map((r) => [r.start_ms, r.end_ms]),
  };
}

function toAnomaly(r: AnomalyRow, feedback: Feedback[]): Anomaly {
  return {
    id: r.id,
    target: r.target_id,
    watch: r.watch,
    labels: r.labels,
    start: r.start_ms,
    end: r.end_ms,
    peakScore: r.peak_score,
    peak: r.peak ?? undefined,
    severity: r.severity,
    failureModel: r.failure_model,
    state: r.state,
    signals: r.signals,
    direction: r.direction,
    reasons: r.reasons,
    feedback,
  };
}

function toFeedback(f: z.output<typeof feedbackRowSchema>): Feedback {
  return { kind: f.kind, source: f.source, user: f.user, comment: f.comment, at: f.created_at };
}

/**
 * The anomalies list query: its filters, then the page after `cursor`, newest first. Every form
 * reads an index in order (SQLite migration 0007, PostgreSQL's pipeline migration), so a page costs
 * its rows, not the table. `?` placeholders; `columns` for a store that must cast some.
 */
export function anomaliesSql(
  q: Partial<AnomaliesQuery>,
  limit: number,
  columns = '*'
): { sql: string; params: unknown[] } {
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
  const sql = `SELECT ${columns} FROM anomalies ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_ms DESC, id DESC LIMIT ?`;
  return { sql, params: [...params, limit] };
}
