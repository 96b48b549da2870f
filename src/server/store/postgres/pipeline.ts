import type pg from 'pg';
import { z } from 'zod';
import {
  anomaliesSql,
  DEFAULT_PAGE,
  LABELLED_SQL,
  labelledFrom,
  pageRows,
  readAnnotation,
  readAnomaly,
  UnreadableFeedback,
  withFeedback,
} from '../../pipeline/store/anomalyTable';
import {
  INITIAL_VERSION_SQL,
  initialVersionSchema,
  MODEL_COLUMNS,
  modelsSql,
  modelValues,
  readModel,
  SUPERSEDE_TARGET_SQL,
  SUPERSEDE_WATCH_SQL,
  type NewModelVersion,
} from '../../pipeline/store/modelTable';
import { modelPage, type ModelPageQuery } from '../../pipeline/store/modelPage';
import { predictionsSql, readPrediction } from '../../pipeline/store/predictionTable';
import {
  CLAIM_CHUNK,
  claimSql,
  expiryStatements,
  failuresOf,
  INSERT_REQUEST_SQL,
  listSql,
  newestByTargetSql,
  newestPage,
  newestValues,
  queueShareSql,
  readClaimed,
  readRetrainRequest,
  readRetrainRequestView,
  readShareCount,
  requestValues,
  shareCountSchema,
  shareCountsSql,
  shareCountValues,
  shareValues,
  TAKEABLE_REQUESTS_SQL,
  type NewRetrainRequest,
  type RetrainClaim,
  type ShareRequest,
} from '../../pipeline/store/retrainRequestTable';
import {
  readableTargets,
  type CycleWrite,
  type ListQuery,
  type PipelineRepository,
  type StoredCheckpoint,
} from '../../pipeline/store/repository';
import { readSummary, summaryPage, type SummaryQuery } from '../../pipeline/store/summaryTable';
import { readTargetRecord, readTargetRow, targetRecordSql } from '../../pipeline/store/targetTable';
import { definitionChanged, readPeers, readResumePoint } from '../../pipeline/store/watchTable';
import { decodeRow } from '../rows';
import { feedbackOnGoneAnomaly, type AnomalyCutoffs } from '../../pipeline/store/detectionPrune';
import { Database } from './database';
import { pruneAnomalies, pruneModels, prunePredictions, pruneRetrainRequests } from './detectionPrune';
import { writeCycle } from './pipelineCycle';

// JSONB columns are read back as text, so the row schemas (and their checks) are the SQLite store's.
const ANOMALY_COLUMNS = `id, target_id, watch, labels::text AS labels, start_ms, end_ms, peak_score, peak::text AS peak, severity, failure_model,
  state, signals::text AS signals, direction, reasons::text AS reasons`;
const FEEDBACK_COLUMNS = 'id, kind, source, user_name AS "user", comment, created_at';
const MODEL_READ_COLUMNS = `id, ${MODEL_COLUMNS.replace('params', 'params::text AS params')}`;
const versionSchema = z.object({ v: z.number().int() });

/**
 * The pipeline's persistence on PostgreSQL, shared by replicas: the tables of the SQLite store
 * (postgresPipelineMigration), the same queries and the same checks of what is read back. A
 * statement whose connection turns out to be gone runs again on a fresh one; a transaction does so
 * only until its COMMIT is sent unless it is keyed (Database): after that, whether it committed is
 * unknown, and the caller hears.
 */
export class PostgresPipelineRepository implements PipelineRepository {
  private readonly db: Database;

  constructor(
    pool: pg.Pool,
    /** host:port/database, for errors. */
    where: string,
    /** Tries of a statement on a lost connection: the pool's size and one more. */
    attempts: number,
    private readonly now: () => number,
    private readonly unreadable = new UnreadableFeedback()
  ) {
    this.db = new Database(pool, where, attempts);
  }

  private async rows(sql: string, params: unknown[]): Promise<unknown[]> {
    return (await this.db.query(sql, params)).rows;
  }

  async adoptDefinition(watch: string, definition: string): Promise<boolean> {
    const now = this.now();
    return this.db.transaction(async (run) => {
      // The row, locked: a replica adopting a definition at the same moment waits, then sees this one's.
      await run(
        `INSERT INTO pipeline_watches (name, last_processed_ms, updated_at) VALUES ($1, NULL, $2) ON CONFLICT (name) DO NOTHING`,
        [watch, now]
      );
      const { rows } = await run('SELECT definition FROM pipeline_watches WHERE name = $1 FOR UPDATE', [watch]);
      const changed = definitionChanged(rows[0], definition);
      if (changed) {
        await run('DELETE FROM pipeline_targets WHERE watch = $1', [watch]);
        await run('UPDATE pipeline_watches SET last_processed_ms = NULL, peers = NULL WHERE name = $1', [watch]);
        await run(numbered(SUPERSEDE_WATCH_SQL), [watch]);
      }
      await run('UPDATE pipeline_watches SET definition = $2, updated_at = $3 WHERE name = $1', [
        watch,
        definition,
        now,
      ]);
      return changed;
    }, 'unkeyed');
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
    const ids = await this.db.transaction((run) => writeCycle({ query: run }, write, now), 'unkeyed');
    // Only once committed: a record never carries the id of a row that was rolled back.
    return write.anomalies.map((a, i) => Object.assign(a, { id: ids[i] }));
  }

  async targetSummaryPage(q: SummaryQuery) {
    return summaryPage(q, ({ sql, params }) => this.rows(numbered(sql), params), 'postgres');
  }

  async targetSummary(id: string) {
    const rows = await this.rows(
      'SELECT summary::text AS summary, owner FROM pipeline_target_summaries WHERE id = $1',
      [id]
    );
    return rows.length === 0 ? undefined : readSummary(rows[0]);
  }

  async targetRecord(id: string) {
    const [row] = await this.rows(numbered(targetRecordSql((column) => `${column}::text AS ${column}`)), [id]);
    return row === undefined ? undefined : readTargetRecord(row);
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
    return readAnomaly(row, feedback, this.unreadable);
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
    return withFeedback(page, feedback, this.unreadable);
  }

  async addFeedback(...[anomalyId, kind, source, user, comment]: Parameters<PipelineRepository['addFeedback']>) {
    // Keyed: a retry after a lost answer must not record the verdict twice.
    const at = this.now();
    const stored = await this.db.once(at, z.boolean(), async (run) => {
      // The anomaly locked as the feedback is stored: a prune skips it, or one holding it is waited
      // for and the anomaly found gone (not a foreign-key failure).
      const { rowCount } = await run(
        `INSERT INTO anomaly_feedback (anomaly_id, kind, source, user_name, comment, created_at)
           SELECT a.id, $2::text, $3::text, $4::text, $5::text, $6::bigint FROM anomalies a WHERE a.id = $1 FOR KEY SHARE`,
        [anomalyId, kind, source, user, comment, at]
      );
      return rowCount === 1;
    });
    if (!stored) {
      throw feedbackOnGoneAnomaly(anomalyId);
    }
  }

  async labelledWindows(targetId: string) {
    return labelledFrom(await this.rows(numbered(LABELLED_SQL), [targetId]));
  }

  async predictions(q: ListQuery<'predictions'>) {
    const { sql, params } = predictionsSql(q);
    return (await this.rows(numbered(sql), params)).map(readPrediction);
  }

  async addModel(m: NewModelVersion): Promise<number> {
    // Keyed: run again after a lost COMMIT, it finds the version it wrote instead of adding the next.
    return this.db.once(this.now(), versionSchema.shape.v, async (run) => {
      // Replicas recording a version of one target take turns (a lock on the target's name until
      // commit, in the single-key space this backend's other advisory locks do not use); the unique
      // constraint stays the guard.
      await run(`SELECT pg_advisory_xact_lock(hashtextextended('failureprophet.models:' || $1, 0))`, [m.targetId]);
      if (m.reason === 'initial') {
        const recorded = await run(numbered(INITIAL_VERSION_SQL), [m.targetId, m.rangeStart]);
        if (recorded.rows.length > 0) {
          return decodeRow(initialVersionSchema, 'models', recorded.rows[0], m.targetId).version;
        }
      }
      const { rows } = await run('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM models WHERE target_id = $1', [
        m.targetId,
      ]);
      const version = decodeRow(versionSchema, 'models', rows[0], m.targetId).v;
      if (m.status === 'active') {
        await run(numbered(SUPERSEDE_TARGET_SQL), [m.targetId]);
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
    const { sql, params } = modelsSql(q, MODEL_READ_COLUMNS, 'postgres');
    return (await this.rows(numbered(sql), params)).map(readModel);
  }

  async modelPage(q: ModelPageQuery) {
    return modelPage(q, ({ sql, params }) => this.rows(numbered(sql), params), 'postgres', MODEL_READ_COLUMNS);
  }

  async queueRetraining(requests: NewRetrainRequest[]) {
    // Keyed: a retry after a lost COMMIT answer does not queue the run twice.
    await this.db.once(requests[0]?.requestedAt ?? this.now(), z.undefined(), async (run) => {
      for (const r of requests) {
        await run(numbered(INSERT_REQUEST_SQL), requestValues(r));
      }
    });
  }

  async queueShareRetraining(share: ShareRequest) {
    if (share.watches.length === 0) {
      return [];
    }
    // Keyed, as queueRetraining: a retry after a lost COMMIT answer does not queue the targets twice.
    return this.db.once(share.requestedAt, z.array(shareCountSchema), async (run) => {
      const counts = (
        await run(
          numbered(shareCountsSql(share.watches.length).replace('COUNT(*)', 'COUNT(*)::int')),
          shareCountValues(share)
        )
      ).rows.map(readShareCount);
      await run(numbered(queueShareSql(share.watches.length)), shareValues(share));
      return counts;
    });
  }

  async takeableRetraining(claim: Omit<RetrainClaim, 'at'>) {
    return (await this.rows(numbered(TAKEABLE_REQUESTS_SQL), [claim.replica, claim.lapsedBefore])).map(
      readRetrainRequest
    );
  }

  async claimRetraining(ids: number[], c: RetrainClaim) {
    // Safe to send again on a lost answer: a request this replica claimed already is claimable by it.
    const claimed: number[] = [];
    for (let i = 0; i < ids.length; i += CLAIM_CHUNK) {
      const chunk = ids.slice(i, i + CLAIM_CHUNK);
      const rows = await this.rows(numbered(claimSql(chunk.length, 'postgres')), [
        c.replica,
        c.at,
        c.replica,
        c.lapsedBefore,
        ...chunk,
      ]);
      claimed.push(...rows.map(readClaimed));
    }
    return claimed;
  }

  async finishRetraining(...[requests, replica, at, outcome]: Parameters<PipelineRepository['finishRetraining']>) {
    if (requests.length === 0) {
      return 0;
    }
    // One statement for a run's requests (a "Retrain all" leaves one per target): each row its own failures.
    const { rowCount } = await this.db.query(
      `UPDATE retrain_requests r SET done_at = $1, trained = $2, failed = v.failed::jsonb
         FROM unnest($4::bigint[], $5::text[]) AS v(id, failed)
        WHERE r.id = v.id AND r.done_at IS NULL AND r.expired_at IS NULL AND r.claimed_by = $3`,
      [
        at,
        outcome.trained,
        replica,
        requests.map((r) => r.id),
        failuresOf(requests, outcome).map((f) => JSON.stringify(f)),
      ]
    );
    return rowCount ?? 0;
  }

  async expireRetraining(
    ...[at, requestedBefore, lapsedBefore, byWatch, only]: Parameters<PipelineRepository['expireRetraining']>
  ) {
    const expiry = { at, requestedBefore, lapsedBefore, byWatch: byWatch ?? {}, only };
    let expired = 0;
    for (const { sql, values } of expiryStatements(expiry)) {
      expired += (await this.db.query(numbered(sql), values)).rowCount ?? 0;
    }
    return expired;
  }

  async retrainRequestList(q: { target?: string; limit: number }) {
    const params = q.target === undefined ? [q.limit] : [q.target, q.limit];
    return (await this.rows(numbered(listSql(q.target !== undefined, 'postgres')), params)).map(readRetrainRequestView);
  }

  async newestRetrainRequests(q: { after?: string; limit: number }) {
    const views = (await this.rows(numbered(newestByTargetSql('postgres')), newestValues(q))).map(
      readRetrainRequestView
    );
    return newestPage(views, q.limit);
  }

  // Keyed, the four: run again after a lost answer, a batch deletes what is still prunable, nothing else.
  pruneAnomalies(cutoffs: AnomalyCutoffs, limit: number) {
    return this.db.transaction((run) => pruneAnomalies(run, cutoffs, limit), 'keyed');
  }

  prunePredictions(before: number, limit: number) {
    return this.db.transaction((run) => prunePredictions(run, before, limit), 'keyed');
  }

  pruneModels(before: number, limit: number) {
    return this.db.transaction((run) => pruneModels(run, before, limit), 'keyed');
  }

  pruneRetrainRequests(before: number, limit: number) {
    return this.db.transaction((run) => pruneRetrainRequests(run, before, limit), 'keyed');
  }
}

/** The shared list queries are written with `?`; PostgreSQL numbers its parameters. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
