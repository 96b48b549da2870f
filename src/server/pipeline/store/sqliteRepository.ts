import type Database from 'better-sqlite3';
import { AnomalyTable, UnreadableFeedback } from './anomalyTable';
import { feedbackOnGoneAnomaly, SqliteDetectionPrune, type AnomalyCutoffs } from './detectionPrune';
import { modelPage, type ModelPageQuery } from './modelPage';
import { ModelTable, type NewModelVersion } from './modelTable';
import { PredictionTable } from './predictionTable';
import { readableTargets, type CycleWrite, type ListQuery, type PipelineRepository } from './repository';
import {
  RetrainRequestTable,
  type NewRetrainRequest,
  type RetrainClaim,
  type ShareRequest,
} from './retrainRequestTable';
import { SummaryTable, type SummaryQuery } from './summaryTable';
import { TargetTable } from './targetTable';
import { statementCache } from '../../store/statements';
import { WatchTable } from './watchTable';

/**
 * The pipeline's persistence in the embedded SQLite store (tables of migration 0002 and after), one
 * module per table. better-sqlite3 answers synchronously; the methods resolve at once, so the
 * pipeline runs on this or on PostgreSQL alike.
 */
export class SqlitePipelineRepository implements PipelineRepository {
  private readonly watchTable: WatchTable;
  private readonly targetTable: TargetTable;
  private readonly anomalyTable: AnomalyTable;
  private readonly predictionTable: PredictionTable;
  private readonly modelTable: ModelTable;
  private readonly summaryTable: SummaryTable;
  private readonly retrainRequestTable: RetrainRequestTable;
  /** The statements of list pages, whose text varies with their filters. */
  private readonly statement: (sql: string) => Database.Statement;
  /** Prepared at the first prune: its statements name an index only a fully migrated store has. */
  private prune?: SqliteDetectionPrune;

  /** `committed`: told after each cycle's commit (the store's WAL checkpoints follow it); `warn`: the store's warnings. */
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    private readonly committed: () => void = () => {},
    warn?: (message: string) => void
  ) {
    this.watchTable = new WatchTable(db);
    this.targetTable = new TargetTable(db);
    this.anomalyTable = new AnomalyTable(db, new UnreadableFeedback(warn));
    this.predictionTable = new PredictionTable(db);
    this.modelTable = new ModelTable(db);
    this.summaryTable = new SummaryTable(db);
    this.retrainRequestTable = new RetrainRequestTable(db);
    this.statement = statementCache(db);
  }

  async adoptDefinition(watch: string, definition: string) {
    return this.watchTable.adoptDefinition(watch, definition, this.now());
  }

  async lastProcessed(watch: string) {
    return this.watchTable.lastProcessed(watch);
  }

  async loadPeers(watch: string) {
    return this.watchTable.loadPeers(watch);
  }

  async loadTargets(watch: string) {
    return readableTargets(await this.loadCheckpoint(watch));
  }

  /** Rows still in the JSON form of earlier builds are rewritten in the compact form, in one transaction. */
  async loadCheckpoint(watch: string) {
    return this.db.transaction(() => this.targetTable.load(watch))();
  }

  async commitCycle(write: CycleWrite) {
    const now = this.now();
    const ids = this.db.transaction(() => {
      const upserted = write.anomalies.map((a) => this.anomalyTable.upsert(a, now));
      for (const p of write.predictions) {
        this.predictionTable.write(p);
      }
      for (const t of write.targets) {
        this.targetTable.write(t, now);
      }
      for (const id of write.forgotten) {
        this.targetTable.forget(id);
        this.summaryTable.forget(id);
        this.modelTable.retire(id);
      }
      for (const s of write.summaries ?? []) {
        this.summaryTable.write(s, now);
      }
      if (write.lastProcessed !== undefined) {
        this.watchTable.setResumePoint(write.watch, write.lastProcessed, now, write.peers, write.peersForgotten);
      }
      return upserted;
    })();
    this.committed();
    // Only once committed: a record never carries the id of a row that was rolled back.
    return write.anomalies.map((a, i) => Object.assign(a, { id: ids[i] }));
  }

  async targetSummaryPage(q: SummaryQuery) {
    return this.summaryTable.page(q);
  }

  async targetSummary(id: string) {
    return this.summaryTable.get(id);
  }

  async targetRecord(id: string) {
    return this.targetTable.record(id);
  }

  async anomaly(id: number) {
    return this.anomalyTable.anomaly(id);
  }

  async annotationOf(id: number) {
    return this.anomalyTable.annotationOf(id);
  }

  async setAnnotation(anomalyId: number, annotationId: number) {
    this.anomalyTable.setAnnotation(anomalyId, annotationId);
  }

  async anomalies(q: ListQuery<'anomalies'>) {
    return this.anomalyTable.page(q).anomalies;
  }

  async anomalyPage(q: ListQuery<'anomalyPage'>) {
    return this.anomalyTable.page(q);
  }

  async addFeedback(...[anomalyId, kind, source, user, comment]: Parameters<PipelineRepository['addFeedback']>) {
    if (!this.anomalyTable.addFeedback(anomalyId, kind, source, user, comment, this.now())) {
      throw feedbackOnGoneAnomaly(anomalyId);
    }
  }

  async labelledWindows(targetId: string) {
    return this.anomalyTable.labelledWindows(targetId);
  }

  async predictions(q: ListQuery<'predictions'>) {
    return this.predictionTable.list(q);
  }

  async addModel(m: NewModelVersion) {
    return this.modelTable.add(m);
  }

  async models(q: ListQuery<'models'>) {
    return this.modelTable.list(q);
  }

  async modelPage(q: ModelPageQuery) {
    return modelPage(q, async ({ sql, params }) => this.statement(sql).all(...params), 'sqlite');
  }

  async queueRetraining(requests: NewRetrainRequest[]) {
    this.retrainRequestTable.queue(requests);
  }

  async queueShareRetraining(share: ShareRequest) {
    return this.retrainRequestTable.queueShare(share);
  }

  async takeableRetraining(claim: Omit<RetrainClaim, 'at'>) {
    return this.retrainRequestTable.takeable(claim);
  }

  async claimRetraining(ids: number[], claim: RetrainClaim) {
    return this.retrainRequestTable.claim(ids, claim);
  }

  async finishRetraining(...[requests, replica, at, outcome]: Parameters<PipelineRepository['finishRetraining']>) {
    return this.retrainRequestTable.finish(requests, replica, at, outcome);
  }

  async expireRetraining(
    ...[at, requestedBefore, lapsedBefore, byWatch, only]: Parameters<PipelineRepository['expireRetraining']>
  ) {
    return this.retrainRequestTable.expire({ at, requestedBefore, lapsedBefore, byWatch: byWatch ?? {}, only });
  }

  async retrainRequestList(q: { target?: string; limit: number }) {
    return this.retrainRequestTable.list(q);
  }

  async newestRetrainRequests(q: { after?: string; limit: number }) {
    return this.retrainRequestTable.newestByTarget(q);
  }

  async pruneAnomalies(cutoffs: AnomalyCutoffs, limit: number) {
    return this.pruner().anomalies(cutoffs, limit);
  }

  async prunePredictions(before: number, limit: number) {
    return this.pruner().predictions(before, limit);
  }

  async pruneModels(before: number, limit: number) {
    return this.pruner().models(before, limit);
  }

  async pruneRetrainRequests(before: number, limit: number) {
    return this.pruner().retrainRequests(before, limit);
  }

  private pruner(): SqliteDetectionPrune {
    return (this.prune ??= new SqliteDetectionPrune(this.db));
  }
}
