import type {
  Anomaly,
  AnomaliesQuery,
  FeedbackKind,
  FeedbackSource,
  ModelsQuery,
  ModelVersion,
  Prediction,
  PredictionsQuery,
  RetrainResponse,
  Target,
} from '../../../contract/pipeline';
import type { AnomalyRecord, PredictionRecord } from '../targetModel';
import type { AnomalyCutoffs, DetectionPruneBatch } from './detectionPrune';
import type { NewModelVersion } from './modelTable';
import type { ModelPageQuery, StoredModelPage } from './modelPage';
import type { RetrainRequestView } from '../../../contract/retrainRequests';
import type {
  NewestRetrainRequestPage,
  NewRetrainRequest,
  RetrainClaim,
  RetrainRequest,
  ShareRequest,
  TargetShareCount,
} from './retrainRequestTable';
import type { StoredCheckpoint, StoredTarget, TargetRecord } from './targetTable';
import type { StoredPeers } from './watchTable';
import type { SummaryPage, SummaryQuery, TargetSummary } from './summaryTable';

export type { AnomalyCutoffs, DetectionPruneBatch } from './detectionPrune';
export type { NewModelVersion } from './modelTable';
export type {
  NewRetrainRequest,
  RetrainClaim,
  RetrainRequest,
  ShareRequest,
  TargetShareCount,
} from './retrainRequestTable';
export type { StoredCheckpoint, StoredTarget, TargetRecord } from './targetTable';
export type { StoredPeers } from './watchTable';
export type { SummaryPage, SummaryQuery, TargetSummary } from './summaryTable';

/**
 * What one transaction of a cycle writes, committed together so a crash leaves it whole or absent. A
 * large checkpoint writes its states in several (checkpoint.ts, `storeInPieces`); the last one carries
 * the records and the resume point.
 */
export interface CycleWrite {
  watch: string;
  /** The watch's resume point; absent: it and the peer groups stay as stored (states written ahead of a checkpoint's last transaction). */
  lastProcessed?: number;
  /** Iterated once per attempt to write; each state may be built only when reached (checkpoint.ts). */
  targets: Iterable<StoredTarget>;
  anomalies: AnomalyRecord[];
  predictions: PredictionRecord[];
  forgotten: string[];
  /** Peer groups by key, written over the stored ones of the same key (the others stay); none when absent. */
  peers?: StoredPeers;
  /** Peer groups to delete from the stored ones (their members were forgotten). */
  peersForgotten?: string[];
  /** With replicas sharing the watches: the scored targets as the API lists them (forgotten ones go too). */
  summaries?: TargetSummary[];
}

/** A page of anomalies, newest first, and the cursor of the next page (null: this is the last). */
export interface AnomalyPage {
  anomalies: Anomaly[];
  next: string | null;
}

/** The windows of a target's anomalies whose latest feedback says what they were. */
export interface LabelledWindows {
  falsePositive: Array<[number, number]>;
  confirmed: Array<[number, number]>;
}

/**
 * The pipeline's persistence: where each watch resumes, its targets' checkpointed states and peer
 * groups, the anomalies found and the feedback on them, predictions and model versions. Embedded
 * SQLite (SqlitePipelineRepository) or PostgreSQL shared by replicas (PostgresPipelineRepository).
 * What is read back is checked: a row that does not fit fails naming itself (StoredRowError),
 * except target states, which are listed as unreadable so their targets relearn.
 */
export interface PipelineRepository {
  /**
   * Records the definition a watch runs under. When the stored state was learned under another one,
   * that state and the resume point go first, in the same transaction, so the watch replays its
   * history with fresh models (its peer groups go too); anomalies, predictions and model versions
   * stay as the record of what happened, its active versions superseded. A row from before
   * definitions were kept is taken as learned under this one. Resolves to whether the state was dropped.
   */
  adoptDefinition(watch: string, definition: string): Promise<boolean>;
  lastProcessed(watch: string): Promise<number | null>;
  /** The peer groups stored with the watch's last cycle ({} when none). */
  loadPeers(watch: string): Promise<StoredPeers>;
  /** The watch's stored targets; rejects, naming the target, when one cannot be read. */
  loadTargets(watch: string): Promise<StoredTarget[]>;
  /** The watch's stored targets, each checked; a row that cannot be read is listed with why rather than failing the others. */
  loadCheckpoint(watch: string): Promise<StoredCheckpoint>;
  /**
   * Writes one cycle (or one chunk of a long catch-up) in one transaction: a failure leaves the
   * previous cycle as it was. Resolves to the anomalies, each given its id once committed.
   */
  commitCycle(write: CycleWrite): Promise<AnomalyRecord[]>;
  /** A page of the targets every replica listed in its last cycle (replicas sharing the watches). */
  targetSummaryPage(q: SummaryQuery): Promise<SummaryPage>;
  /** One target as its replica last listed it; undefined when none has. */
  targetSummary(id: string): Promise<Target | undefined>;
  /** A stored target's watch, labels and last sample, without its state; undefined when its state is not kept. */
  targetRecord(id: string): Promise<TargetRecord | undefined>;
  anomaly(id: number): Promise<Anomaly | undefined>;
  annotationOf(id: number): Promise<number | null>;
  setAnnotation(anomalyId: number, annotationId: number): Promise<void>;
  /** The first page of anomalies matching `q`. */
  anomalies(q: Partial<AnomaliesQuery>): Promise<Anomaly[]>;
  anomalyPage(q: Partial<AnomaliesQuery>): Promise<AnomalyPage>;
  /** Rejects with not_found (feedbackOnGoneAnomaly), recording nothing, when the anomaly is gone: a prune took it. */
  addFeedback(
    anomalyId: number,
    kind: FeedbackKind,
    source: FeedbackSource,
    user: string | null,
    comment: string | null
  ): Promise<void>;
  labelledWindows(targetId: string): Promise<LabelledWindows>;
  predictions(q: Partial<PredictionsQuery>): Promise<Prediction[]>;
  /** Records a trained model; an active one supersedes the previous active version of its target. Resolves to its version. */
  addModel(m: NewModelVersion): Promise<number>;
  models(q: Partial<ModelsQuery>): Promise<ModelVersion[]>;
  /** A page of GET /api/models (modelPage.ts): its cursors, with status=current its count, with `requests` its targets' newest requests. */
  modelPage(q: ModelPageQuery): Promise<StoredModelPage>;
  /** Replicas sharing the watches: leaves retrain requests for the replicas holding their targets (retrainRequestTable.ts). */
  queueRetraining(requests: NewRetrainRequest[]): Promise<void>;
  /** Queues a request per listed target of the watches another replica holds; resolves to how many each holds. */
  queueShareRetraining(share: ShareRequest): Promise<TargetShareCount[]>;
  /** The requests waiting that `replica` may take (unclaimed, its own, or abandoned before the lapse), oldest first. */
  takeableRetraining(claim: Omit<RetrainClaim, 'at'>): Promise<RetrainRequest[]>;
  /** Takes the waiting ones of these requests for the claim's replica; resolves to the ids it took (another may hold the rest). */
  claimRetraining(ids: number[], claim: RetrainClaim): Promise<number[]>;
  /** Records what the run of these requests did, on those `replica` still holds; resolves to how many. */
  finishRetraining(requests: RetrainRequest[], replica: string, at: number, outcome: RetrainResponse): Promise<number>;
  /**
   * Answers as expired the requests asked before `requestedBefore` (of a watch `byWatch` names, before
   * its own time) that nobody holds a claim on since `lapsedBefore`, of those `only` names when given;
   * resolves to how many.
   */
  expireRetraining(
    at: number,
    requestedBefore: number,
    lapsedBefore: number,
    byWatch?: Readonly<Record<string, number>>,
    only?: readonly number[]
  ): Promise<number>;
  /** Requests newest first, of one target when given, as the API lists them. */
  retrainRequestList(q: { target?: string; limit: number }): Promise<RetrainRequestView[]>;
  /** Each target's newest request, a page of `limit` targets after target `after`, read on the (target_id, id) index. */
  newestRetrainRequests(q: { after?: string; limit: number }): Promise<NewestRetrainRequestPage>;
  /** Retention (retention.ts): deletes one batch of the closed anomalies detectionPrune.ts allows, with their feedback. */
  pruneAnomalies(cutoffs: AnomalyCutoffs, limit: number): Promise<DetectionPruneBatch>;
  /** Retention: deletes one batch of prediction rows made, and due, before `before`. */
  prunePredictions(before: number, limit: number): Promise<DetectionPruneBatch>;
  /** Retention: deletes one batch of model versions nothing runs, trained before `before`. */
  pruneModels(before: number, limit: number): Promise<DetectionPruneBatch>;
  /** Retention: deletes one batch of the answered retrain requests detectionPrune.ts allows (never a target's newest). */
  pruneRetrainRequests(before: number, limit: number): Promise<DetectionPruneBatch>;
}

/** The query of one of the repository's lists, as the API takes it. */
export type ListQuery<K extends 'anomalies' | 'anomalyPage' | 'predictions' | 'models'> = Parameters<
  PipelineRepository[K]
>[0];

/** The stored targets of a checkpoint, or an error naming the first that cannot be read. */
export function readableTargets({ targets, unreadable }: StoredCheckpoint): StoredTarget[] {
  if (unreadable.length > 0) {
    throw new Error(`stored state of target ${unreadable[0].id} unreadable: ${unreadable[0].error}`);
  }
  return targets;
}
