import type pg from 'pg';
import { z } from 'zod';
import {
  anomaliesSql,
  DEFAULT_PAGE,
  labelledFrom,
  pageRows,
  readAnnotation,
  readAnomaly,
  withFeedback,
} from '../../pipeline/store/anomalyTable';
import {
  MODEL_COLUMNS,
  modelsSql,
  modelValues,
  readModel,
  type NewModelVersion,
} from '../../pipeline/store/modelTable';
import { predictionsSql, readPrediction } from '../../pipeline/store/predictionTable';
import {
  readableTargets,
  type CycleWrite,
  type ListQuery,
  type PipelineRepository,
  type StoredCheckpoint,
} from '../../pipeline/store/repository';
import { readSummary, summaryPage, type SummaryQuery } from '../../pipeline/store/summaryTable';
import { readTargetRow } from '../../pipeline/store/targetTable';
import { definitionChanged, readPeers, readResumePoint } from '../../pipeline/store/watchTable';
import { decodeRow } from '../rows';
import { Database } from './database';
import { writeCycle } from './pipelineCycle';
import { StoreUnavailableError, unavailable } from './pool';

// JSONB columns are read back as text, so the row schemas (and their checks) are the SQLite store's.
const ANOMALY_COLUMNS = `id, target_id, watch, labels::text AS labels, start_ms, end_ms, peak_score, peak::text AS peak, severity, failure_model,
  state, signals::text AS signals, direction, reasons::text AS reasons`;
const FEEDBACK_COLUMNS = 'kind, source, user_name AS "user", comment, created_at';
const MODEL_READ_COLUMNS = `id, ${MODEL_COLUMNS.replace('params', 'params::text AS params')}`;
const versionSchema = z.object({ v: z.number().int() });

/**
 * The pipeline's persistence on PostgreSQL, shared by replicas: the tables of the SQLite store
 * (postgresPipelineMigration), the same queries and the same checks of what is read back. A
 * statement whose connection turns out to be gone runs again on a fresh one; a transaction does so
 * only until its COMMIT is sent (after that, whether it committed is unknown: the caller hears).
 */
export class PostgresPipelineRepository implements PipelineRepository {
  constructor(
    private readonly pool: pg.Pool,
    /** host:port/database, for errors. */
    private readonly where: string,
    /** Tries of a statement on a lost connection: the pool's size and one more. */
    private readonly attempts: number,
    private readonly now: () => number
  ) {
    this.keyed = new Database(pool, where, attempts);
  }

  /** For writes that must happen once however often they are sent (Database.once). */
  private readonly keyed: Database;

  private async rows(sql: string, params: unknown[]): Promise<unknown[]> {
    const result = await this.transactionOrStatement((client) => client.query(sql, params), false);
    return result.rows;
  }

  private transaction<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    return this.transactionOrStatement(work, true);
  }

  private async transactionOrStatement<T>(work: (client: pg.ClientBase) => Promise<T>, atomic: boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let committing = false;
      let lost: Error | undefined;
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        if (!atomic) {
          return await work(client);
        }
        await client.query('BEGIN');
        try {
          const result = await work(client);
          committing = true;
          await client.query('COMMIT');
          return result;
        } catch (err) {
          if (!committing) {
            await client.query('ROLLBACK').catch((e: Error) => (lost = e));
          }
          throw err;
        }
      } catch (err) {
        const mapped = unavailable(err, this.where);
        // The connection is gone: dropped with the error that says so.
        if (mapped instanceof StoreUnavailableError) {
          lost ??= mapped;
        }
        if (mapped === err || committing || attempt >= this.attempts) {
          throw mapped;
        }
      } finally {
        // A connection that failed is dropped from the pool rather than handed to the next caller.
        client?.release(lost);
      }
    }
  }

  async adoptDefinition(watch: string, definition: string): Promise<boolean> {
    const now = this.now();
    return this.transaction(async (c) => {
      // The row, locked: a replica adopting a definition at the same moment waits, then sees this one's.
      await c.query(
        `INSERT INTO pipeline_watches (name, last_processed_ms, updated_at) VALUES ($1, NULL, $2) ON CONFLICT (name) DO NOTHING`,
        [watch, now]
      );
      const { rows } = await c.query('SELECT definition FROM pipeline_watches WHERE name = $1 FOR UPDATE', [watch]);
      const changed = definitionChanged(rows[0], watch, definition);
      if (changed) {
        await c.query('DELETE FROM pipeline_targets WHERE watch = $1', [watch]);
        await c.query('UPDATE pipeline_watches SET last_processed_ms = NULL, peers = NULL WHERE name = $1', [watch]);
      }
      await c.query('UPDATE pipeline_watches SET definition = $2, updated_at = $3 WHERE name = $1', [
        watch,
        definition,
        now,
      ]);
      return changed;
    });
  }

  async lastProcessed(watch: string): Promise<number | null> {
    const [row] = await this.rows('SELECT last_processed_ms FROM pipeline_watches WHERE name = $1', [watch]);
    return readResumePoint(row, watch);
  }

  async loadPeers(watch: string) {
    const [row] = await this.rows('SELECT peers::text AS peers FROM pipeline_watches WHERE name = $1', [watch]);
    return readPeers(row, watch);
  }

  async loadTargets(watch: string) {
    return readableTargets(await this.loadCheckpoint(watch));
  }

  async loadCheckpoint(watch: string): Promise<StoredCheckpoint> {
    const rows = await this.rows(
      'SELECT id, watch, labels::text AS labels, checkpoint FROM pipeline_targets WHERE watch = $1',
      [watch]
    );
    const out: StoredCheckpoint = { targets: [], unreadable: [] };
    for (const raw of rows) {
      const read = readTargetRow(raw);
      if ('unreadable' in read) {
        out.unreadable.push(read.unreadable);
      } else {
        out.targets.push(read.target);
      }
    }
    return out;
  }

  async commitCycle(write: CycleWrite) {
    const now = this.now();
    const ids = await this.transaction((c) => writeCycle(c, write, now));
    // Only once committed: a record never carries the id of a row that was rolled back.
    return write.anomalies.map((a, i) => Object.assign(a, { id: ids[i] }));
  }

  async targetSummaryPage(q: SummaryQuery) {
    return summaryPage(
      q,
      ({ sql, params }) => this.rows(numbered(sql), params),
      (column) => `${column}::text AS ${column}`
    );
  }

  async targetSummary(id: string) {
    const rows = await this.rows(
      'SELECT summary::text AS summary, owner FROM pipeline_target_summaries WHERE id = $1',
      [id]
    );
    return rows.length === 0 ? undefined : readSummary(rows[0]);
  }

  async anomaly(id: number) {
    const [row] = await this.rows(`SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE id = $1`, [id]);
    if (row === undefined) {
      return undefined;
    }
    const feedback = await this.rows(
      `SELECT ${FEEDBACK_COLUMNS} FROM anomaly_feedback WHERE anomaly_id = $1 ORDER BY id DESC`,
      [id]
    );
    return readAnomaly(row, feedback);
  }

  async annotationOf(id: number) {
    const [row] = await this.rows('SELECT grafana_annotation_id FROM anomalies WHERE id = $1', [id]);
    return readAnnotation(row, id);
  }

  async setAnnotation(anomalyId: number, annotationId: number) {
    await this.rows('UPDATE anomalies SET grafana_annotation_id = $2 WHERE id = $1', [anomalyId, annotationId]);
  }

  async anomalies(q: ListQuery<'anomalies'>) {
    return (await this.anomalyPage(q)).anomalies;
  }

  async anomalyPage(q: ListQuery<'anomalyPage'>) {
    const limit = q.limit ?? DEFAULT_PAGE;
    const { sql, params } = anomaliesSql(q, limit + 1, ANOMALY_COLUMNS);
    const page = pageRows(await this.rows(numbered(sql), params), limit);
    const feedback =
      page.rows.length === 0
        ? []
        : await this.rows(
            `SELECT anomaly_id, ${FEEDBACK_COLUMNS} FROM anomaly_feedback WHERE anomaly_id = ANY($1::bigint[]) ORDER BY id DESC`,
            [page.rows.map((r) => r.id)]
          );
    return withFeedback(page, feedback);
  }

  async addFeedback(...[anomalyId, kind, source, user, comment]: Parameters<PipelineRepository['addFeedback']>) {
    // Keyed: a retry after a lost answer must not record the verdict twice.
    const at = this.now();
    await this.keyed.once(at, z.undefined(), async (run) => {
      await run(
        'INSERT INTO anomaly_feedback (anomaly_id, kind, source, user_name, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [anomalyId, kind, source, user, comment, at]
      );
    });
  }

  async labelledWindows(targetId: string) {
    // The latest feedback on an anomaly is the one that counts (an operator may change their mind).
    const rows = await this.rows(
      `SELECT a.start_ms, a.end_ms, f.kind FROM anomalies a
       JOIN anomaly_feedback f ON f.id = (SELECT MAX(id) FROM anomaly_feedback WHERE anomaly_id = a.id)
       WHERE a.target_id = $1`,
      [targetId]
    );
    return labelledFrom(rows, targetId);
  }

  async predictions(q: ListQuery<'predictions'>) {
    const { sql, params } = predictionsSql(q);
    return (await this.rows(numbered(sql), params)).map(readPrediction);
  }

  async addModel(m: NewModelVersion): Promise<number> {
    // Keyed: run again after a lost COMMIT, it finds the version it wrote instead of adding the next.
    return this.keyed.once(this.now(), versionSchema.shape.v, async (run) => {
      // Replicas recording a version of one target take turns (a lock on the target's name until
      // commit, in the single-key space this backend's other advisory locks do not use); the unique
      // constraint stays the guard.
      await run(`SELECT pg_advisory_xact_lock(hashtextextended('failureprophet.models:' || $1, 0))`, [m.targetId]);
      const { rows } = await run('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM models WHERE target_id = $1', [
        m.targetId,
      ]);
      const version = decodeRow(versionSchema, 'models', rows[0], m.targetId).v;
      if (m.status === 'active') {
        await run(`UPDATE models SET status = 'superseded' WHERE target_id = $1 AND status = 'active'`, [m.targetId]);
      }
      const values = modelValues(m, version);
      await run(
        `INSERT INTO models (${MODEL_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
        values
      );
      return version;
    });
  }

  async models(q: ListQuery<'models'>) {
    const { sql, params } = modelsSql(q, MODEL_READ_COLUMNS);
    return (await this.rows(numbered(sql), params)).map(readModel);
  }
}

/** The shared list queries are written with `?`; PostgreSQL numbers its parameters. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
