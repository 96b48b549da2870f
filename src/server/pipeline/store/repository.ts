import type Database from 'better-sqlite3';
import type {
  Anomaly,
  AnomaliesQuery,
  FeedbackKind,
  FeedbackSource,
  ModelsQuery,
  ModelVersion,
  Prediction,
  PredictionsQuery,
} from '../../../contract/pipeline';
import type { AnomalyRecord, PredictionRecord } from '../targetModel';
import { AnomalyTable } from './anomalyTable';
import { ModelTable, type NewModelVersion } from './modelTable';
import { PredictionTable } from './predictionTable';
import { TargetTable, type StoredCheckpoint, type StoredTarget } from './targetTable';
import { WatchTable, type StoredPeers } from './watchTable';

export { anomaliesSql } from './anomalyTable';
export type { NewModelVersion } from './modelTable';
export type { StoredCheckpoint, StoredTarget } from './targetTable';
export type { StoredPeers } from './watchTable';

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

/**
 * The pipeline's persistence over the SQLite store (tables of migration 0002), one module per
 * table; what is read back is checked, and a row that does not fit fails naming itself
 * (StoredRowError), except target states, which are listed as unreadable so their targets relearn.
 */
export class PipelineRepository {
  private readonly watchTable: WatchTable;
  private readonly targetTable: TargetTable;
  private readonly anomalyTable: AnomalyTable;
  private readonly predictionTable: PredictionTable;
  private readonly modelTable: ModelTable;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number
  ) {
    this.watchTable = new WatchTable(db);
    this.targetTable = new TargetTable(db);
    this.anomalyTable = new AnomalyTable(db);
    this.predictionTable = new PredictionTable(db);
    this.modelTable = new ModelTable(db);
  }

  /**
   * Records the definition a watch runs under. When the stored state was learned under another one,
   * that state and the resume point go first, in the same transaction, so the watch replays its
   * history with fresh models (its peer groups go too); anomalies, predictions and model versions
   * stay as the record of what happened. A row from before definitions were kept is taken as
   * learned under this one. Returns whether the state was dropped.
   */
  adoptDefinition(watch: string, definition: string): boolean {
    return this.watchTable.adoptDefinition(watch, definition, this.now());
  }

  lastProcessed(watch: string): number | null {
    return this.watchTable.lastProcessed(watch);
  }

  /** The peer groups stored with the watch's last cycle ({} when none). */
  loadPeers(watch: string): StoredPeers {
    return this.watchTable.loadPeers(watch);
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
    return this.db.transaction(() => this.targetTable.load(watch))();
  }

  /** Writes one cycle (or one chunk of a long catch-up) atomically; returns the anomalies with their ids. */
  commitCycle(write: CycleWrite): AnomalyRecord[] {
    const now = this.now();
    return this.db.transaction(() => {
      const stored = write.anomalies.map((a) => {
        a.id = this.anomalyTable.upsert(a, now);
        return a;
      });
      for (const p of write.predictions) {
        this.predictionTable.write(p);
      }
      for (const t of write.targets) {
        this.targetTable.write(t, now);
      }
      for (const id of write.forgotten) {
        this.targetTable.forget(id);
      }
      this.watchTable.setResumePoint(write.watch, write.lastProcessed, now, write.peers);
      return stored;
    })();
  }

  anomaly(id: number): Anomaly | undefined {
    return this.anomalyTable.anomaly(id);
  }

  annotationOf(id: number): number | null {
    return this.anomalyTable.annotationOf(id);
  }

  setAnnotation(anomalyId: number, annotationId: number): void {
    this.anomalyTable.setAnnotation(anomalyId, annotationId);
  }

  anomalies(q: Partial<AnomaliesQuery>): Anomaly[] {
    return this.anomalyTable.page(q).anomalies;
  }

  /** A page of anomalies, newest first, and the cursor of the next page (null: this is the last). */
  anomalyPage(q: Partial<AnomaliesQuery>): { anomalies: Anomaly[]; next: string | null } {
    return this.anomalyTable.page(q);
  }

  addFeedback(
    anomalyId: number,
    kind: FeedbackKind,
    source: FeedbackSource,
    user: string | null,
    comment: string | null
  ): void {
    this.anomalyTable.addFeedback(anomalyId, kind, source, user, comment, this.now());
  }

  /** The target's anomalies whose latest feedback is `kind`, as [start, end] windows. */
  labelledWindows(targetId: string): { falsePositive: Array<[number, number]>; confirmed: Array<[number, number]> } {
    return this.anomalyTable.labelledWindows(targetId);
  }

  predictions(q: Partial<PredictionsQuery>): Prediction[] {
    return this.predictionTable.list(q);
  }

  /** Records a trained model; an active one supersedes the previous active version of its target. */
  addModel(m: NewModelVersion): number {
    return this.modelTable.add(m);
  }

  models(q: Partial<ModelsQuery>): ModelVersion[] {
    return this.modelTable.list(q);
  }
}
