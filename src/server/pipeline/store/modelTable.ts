import type Database from 'better-sqlite3';
import { z } from 'zod';
import { modelStatusSchema, modelVersionSchema, type ModelsQuery, type ModelVersion } from '../../../contract/pipeline';
import { modelFilters, whereClause, type ModelDialect } from './modelFilters';
import { decodeRow, jsonColumn } from '../../store/rows';
import { statementCache } from '../../store/statements';

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

/** A models row, read as the contract's ModelVersion. */
const modelRowSchema = z
  .object({
    id: z.number().int(),
    watch: z.string(),
    target_id: z.string(),
    version: z.number().int(),
    status: modelStatusSchema,
    error: z.string().nullable(),
    reason: modelVersionSchema.shape.reason,
    trained_at: z.number(),
    range_start: z.number(),
    range_end: z.number(),
    samples: z.number().int(),
    params: jsonColumn(modelVersionSchema.shape.params),
    threshold: z.number(),
    feedback_fp: z.number().int(),
    feedback_confirmed: z.number().int(),
  })
  .transform((r): ModelVersion => ({
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
    params: r.params,
    threshold: r.threshold,
    feedback: { falsePositive: r.feedback_fp, confirmed: r.feedback_confirmed },
    reason: r.reason,
  }));
const maxVersionSchema = z.object({ v: z.number().int().nullable() });

/**
 * A target's first version trained from the same start, still active, if one is recorded (`?`
 * placeholders). A cycle records first versions in writes of their own before its checkpoint; when
 * the checkpoint is refused, the targets restored without a version ask again as the cycle runs
 * again, and this one is theirs. A changed watch's fresh models replay the same start: its versions
 * were superseded when the change dropped the state (`adoptDefinition`), so they record new ones.
 */
export const INITIAL_VERSION_SQL = `SELECT version FROM models WHERE target_id = ? AND reason = 'initial' AND range_start = ? AND status = 'active'`;
/** A row INITIAL_VERSION_SQL reads. */
export const initialVersionSchema = z.object({ version: z.number().int() });

/**
 * The active version of a target that was forgotten (`?` placeholder): it stays listed as the last one
 * its target ran, but nothing runs or retrains it; a target back under the same id records a new first version.
 */
export const RETIRE_TARGET_SQL = `UPDATE models SET status = 'retired' WHERE target_id = ? AND status = 'active'`;

/**
 * What a target's new active version supersedes (`?` placeholder): the active one, or the retired one
 * of a target forgotten and back under the same id (only its latest version is current).
 */
export const SUPERSEDE_TARGET_SQL = `UPDATE models SET status = 'superseded' WHERE target_id = ? AND status IN ('active', 'retired')`;

/** The active versions of a watch whose state was dropped (`?` placeholder): nothing runs them any more. */
export const SUPERSEDE_WATCH_SQL = `UPDATE models SET status = 'superseded' WHERE watch = ? AND status = 'active'`;

/** models: each target's trained model versions, the active one and those it superseded or that failed. */
export class ModelTable {
  private readonly s;
  private readonly statement;

  constructor(private readonly db: Database.Database) {
    this.statement = statementCache(db);
    this.s = {
      maxVersion: db.prepare('SELECT MAX(version) AS v FROM models WHERE target_id = ?'),
      initial: db.prepare(INITIAL_VERSION_SQL),
      supersede: db.prepare(SUPERSEDE_TARGET_SQL),
      retire: db.prepare(RETIRE_TARGET_SQL),
      add: db.prepare(
        `INSERT INTO models (${MODEL_COLUMNS}) VALUES (${MODEL_COLUMNS.split(',').fill('?').join(', ')})`
      ),
    };
  }

  /** Records a trained model; an active one supersedes the previous active version of its target. */
  add(m: NewModelVersion): number {
    return this.db.transaction(() => {
      if (m.reason === 'initial') {
        const recorded = this.s.initial.get(m.targetId, m.rangeStart);
        if (recorded !== undefined) {
          return decodeRow(initialVersionSchema, 'models', recorded, m.targetId).version;
        }
      }
      const latest = decodeRow(maxVersionSchema, 'models', this.s.maxVersion.get(m.targetId), m.targetId).v;
      const version = (latest ?? 0) + 1;
      if (m.status === 'active') {
        this.s.supersede.run(m.targetId);
      }
      this.s.add.run(...modelValues(m, version));
      return version;
    })();
  }

  /** Marks the active version of a forgotten target retired (in the caller's transaction). */
  retire(targetId: string): void {
    this.s.retire.run(targetId);
  }

  list(q: Partial<ModelsQuery>): ModelVersion[] {
    const { sql, params } = modelsSql(q);
    return this.statement(sql)
      .all(...params)
      .map(readModel);
  }
}

/** The models list query, newest first (`?` placeholders; `columns` for a store that must cast some). */
export function modelsSql(
  q: Partial<ModelsQuery>,
  columns = '*',
  dialect: ModelDialect = 'sqlite'
): { sql: string; params: unknown[] } {
  const { terms, params } = modelFilters(q, dialect);
  return {
    sql: `SELECT ${columns} FROM models ${whereClause(terms)} ORDER BY trained_at DESC, id DESC LIMIT ?`,
    params: [...params, q.limit ?? 500],
  };
}

export function readModel(raw: unknown): ModelVersion {
  return decodeRow(modelRowSchema, 'models', raw);
}

/** The values of a new version's row, in the order of the columns of MODEL_COLUMNS. */
export function modelValues(m: NewModelVersion, version: number): unknown[] {
  return [
    m.watch,
    m.targetId,
    version,
    m.status,
    m.error ?? null,
    m.reason,
    m.trainedAt,
    m.rangeStart,
    m.rangeEnd,
    m.samples,
    JSON.stringify(m.params),
    m.threshold,
    m.feedback.falsePositive,
    m.feedback.confirmed,
  ];
}

export const MODEL_COLUMNS =
  'watch, target_id, version, status, error, reason, trained_at, range_start, range_end, samples, params, threshold, feedback_fp, feedback_confirmed';
