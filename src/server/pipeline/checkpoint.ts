import { secondsLeft } from '../../contract/pipeline';
import { LoopTurns, SLICE_MS } from './loopTurns';
import type { ExportedTarget, PipelineMetrics } from './metrics';
import type { CycleWrite, PipelineRepository, StoredTarget } from './store/repository';
import type { AnomalyRecord, PredictionRecord, TargetChanges, TargetModel } from './targetModel';

/** What one chunk hands to the store: the targets' changes, and the targets that went stale. */
export interface ChunkChanges {
  anomalies: AnomalyRecord[];
  /** The anomalies opened in this chunk (not stored before). */
  fresh: Set<AnomalyRecord>;
  predictions: PredictionRecord[];
  /** The scored targets whose anomalies changed: their state is stored with them, so a replay cannot open them again. */
  episodic: Set<TargetModel>;
  /** Targets without a sample since `staleBefore`: their open anomaly closed, their predictions ended, their state to be dropped. */
  forgotten: TargetModel[];
  /** Targets not scored whose forecast went out of date (TargetModel.takeLapsed): their gauge is to be dropped. */
  lapsed: TargetModel[];
}

/**
 * Takes the changes of the scored targets and the prediction rows of the others, and forgets and
 * collects the targets that went stale.
 */
export function gatherChanges(
  touched: TargetModel[],
  targets: Iterable<TargetModel>,
  staleBefore: number
): ChunkChanges {
  const anomalies: AnomalyRecord[] = [];
  const fresh = new Set<AnomalyRecord>();
  const predictions: PredictionRecord[] = [];
  const episodic = new Set<TargetModel>();
  // Fresh: opened since the last hand-over, not "without an id": an open anomaly restored from a
  // state stored with its first insert has none, but it is stored and was told of already.
  const add = ({ anomalies: changed, opened }: TargetChanges) => {
    anomalies.push(...changed);
    // By index: no array per target of a large watch, nearly all of which hand over none.
    for (let i = changed.length - opened; i < changed.length; i++) {
      fresh.add(changed[i]);
    }
  };
  for (const t of touched) {
    const changes = t.takeChanges();
    add(changes);
    predictions.push(...changes.predictions);
    if (changes.anomalies.length > 0) {
      episodic.add(t);
    }
  }
  const forgotten: TargetModel[] = [];
  const lapsed: TargetModel[] = [];
  for (const target of targets) {
    if (!(target.lastAt >= staleBefore)) {
      target.forget();
      const changes = target.takeChanges();
      add(changes);
      // The rows that end its predictions go with it: made when it was forgotten, or unscored before.
      predictions.push(...changes.predictions);
      forgotten.push(target);
      continue;
    }
    if (target.takeLapsed()) {
      lapsed.push(target);
    }
    // A forecast that went out of date at a step that scored nothing (the target left service
    // discovery, or its detector ignores gaps) ended its prediction: stored now, not once it is
    // scored again or forgotten. Its state need not go with it: a replay makes the same row again.
    const ended = target.takePredictions();
    if (ended.length > 0) {
      predictions.push(...ended);
    }
  }
  return { anomalies, fresh, predictions, episodic, forgotten, lapsed };
}

/**
 * Each target's state is written at least once every this many cycles while it changes (and at
 * once when its anomalies change): a crash replays at most about as many steps from Prometheus.
 */
export const CHECKPOINT_SPREAD_CYCLES = 10;

/**
 * The targets whose state changed since it was last stored, oldest change first. A cycle writes
 * the ones that must go now and the oldest share of the rest, so the writing of a large watch is
 * spread over CHECKPOINT_SPREAD_CYCLES cycles instead of every target every cycle; the stored
 * resume point stays before the oldest change not yet written, so a restart replays it.
 */
export class UnsavedStates {
  /** Target → the first step whose effect on it is not stored. Map order is insertion order: oldest first. */
  private readonly since = new Map<TargetModel, number>();

  get size(): number {
    return this.since.size;
  }

  /** Nothing in memory is unsaved any more (it was replaced by what the store holds). */
  clear(): void {
    this.since.clear();
  }

  /** The targets were scored from step `from` on. */
  changed(targets: Iterable<TargetModel>, from: number): void {
    for (const t of targets) {
      if (!this.since.has(t)) {
        this.since.set(t, from);
      }
    }
  }

  /** What to write now: `must`, and the oldest of the rest up to this cycle's share (everything when `all`). */
  due(must: Set<TargetModel>, all: boolean): TargetModel[] {
    if (all) {
      return [...this.since.keys()];
    }
    const out = [...must].filter((t) => this.since.has(t));
    let share = Math.ceil(this.since.size / CHECKPOINT_SPREAD_CYCLES);
    for (const t of this.since.keys()) {
      if (share-- <= 0) {
        break;
      }
      if (!must.has(t)) {
        out.push(t);
      }
    }
    return out;
  }

  /** The targets' states were stored (or they are gone). */
  saved(targets: Iterable<TargetModel>): void {
    for (const t of targets) {
      this.since.delete(t);
    }
  }

  /** The last step whose effects are all stored once `writing` is, given that scoring reached `progress`. */
  storedThrough(progress: number, step: number, writing: Set<TargetModel> = new Set()): number {
    for (const [t, from] of this.since) {
      if (!writing.has(t)) {
        return Math.min(progress, from - step);
      }
    }
    return progress;
  }
}

/**
 * The stored form of targets' state, each built as the store reaches it (and as often as it is
 * iterated): a state is a few kB of short-lived objects, and building a thousand before encoding
 * any kept them all alive long enough to be copied into the old generation, where collecting them
 * cost more than building them.
 */
export function storedTargets(targets: Iterable<TargetModel>): Iterable<StoredTarget> {
  const list = [...targets];
  return {
    *[Symbol.iterator]() {
      for (const t of list) {
        yield { id: t.id, watch: t.watch, labels: t.labels, state: t.toState() };
      }
    },
  };
}

/** A write of more targets than this is split: the first piece is this many, the next ones sized by its time. */
export const FIRST_PIECE_TARGETS = 256;

/**
 * Writes `write` with the states of `targets`. A write of many targets goes in several transactions,
 * a turn of the event loop between them (a synchronous SQLite transaction of a replay's 100,000
 * states held the loop 4-16 s, longer than `/healthz` may wait). The states of the targets without a
 * record in `write` go first, in pieces of about one slice of `elapsed` time each; the last
 * transaction holds the rest of them, the targets with records (so a replay cannot make those
 * records again) and the resume point. A crash between them leaves some states stored ahead of the
 * resume point, as the spread checkpoint does: a restored target skips the steps it has seen
 * (TargetModel.step), so the replay scores nothing twice.
 */
export async function storeInPieces(
  repo: PipelineRepository,
  write: Omit<CycleWrite, 'targets'>,
  targets: Iterable<TargetModel>,
  elapsed: () => number,
  firstPiece = FIRST_PIECE_TARGETS
): Promise<AnomalyRecord[]> {
  const recorded = new Set([...write.anomalies, ...write.predictions].map((r) => r.targetId));
  const ahead: TargetModel[] = [];
  const last: TargetModel[] = [];
  for (const t of targets) {
    (recorded.has(t.id) ? last : ahead).push(t);
  }
  const turns = new LoopTurns(elapsed);
  let at = 0;
  let size = firstPiece;
  while (ahead.length - at > size) {
    const started = elapsed();
    const piece = ahead.slice(at, at + size);
    await repo.commitCycle({
      watch: write.watch,
      targets: storedTargets(piece),
      anomalies: [],
      predictions: [],
      forgotten: [],
    });
    at += piece.length;
    const spent = elapsed() - started;
    size = spent > 0 ? Math.max(1, Math.floor((size * SLICE_MS) / spent)) : Infinity;
    await turns.give();
  }
  return repo.commitCycle({ ...write, targets: storedTargets(ahead.slice(at).concat(last)) });
}

/** Stores the states of `targets` alone, with the resume point `lastProcessed` (retraining, flushing, retiring). */
export function storeStates(
  repo: PipelineRepository,
  watch: string,
  lastProcessed: number,
  targets: Iterable<TargetModel>,
  elapsed: () => number,
  anomalies: AnomalyRecord[] = []
): Promise<AnomalyRecord[]> {
  return storeInPieces(repo, { watch, lastProcessed, anomalies, predictions: [], forgotten: [] }, targets, elapsed);
}

/**
 * Sets the per-target gauges of the scored targets (within pipeline.maxTargetSeries), drops those of
 * the forgotten ones, and the time to failure of the `lapsed` (not scored, their forecast out of date).
 */
export function publishTargetMetrics(
  metrics: PipelineMetrics,
  watch: string,
  touched: TargetModel[],
  forgotten: TargetModel[],
  lapsed: readonly TargetModel[] = []
): void {
  let unexported = 0;
  for (const t of touched) {
    const exported = metrics.admit(watch, t.id, t.open !== null || t.ttf !== null);
    if (!exported) {
      unexported++;
      continue;
    }
    metrics.publish(exported, t.score, t.open ? 1 : 0, t.learningProgress);
    publishTimesToFailure(metrics, exported, t);
  }
  for (const t of lapsed) {
    // It had a forecast when last published, so series unless pipeline.maxTargetSeries was reached.
    const exported = metrics.admit(watch, t.id, false);
    if (exported) {
      publishTimesToFailure(metrics, exported, t);
    }
  }
  if (touched.length > 0) {
    metrics.targetsUnexported.set({ watch }, unexported);
  }
  for (const t of forgotten) {
    metrics.forget(watch, t.id);
  }
}

/** Each forecast signal's time to failure left at the target's last step (a forecast kept over a gap counts down), or none. */
function publishTimesToFailure(metrics: PipelineMetrics, exported: ExportedTarget, t: TargetModel): void {
  for (const s of t.signals) {
    if (s.forecaster) {
      metrics.publishTimeToFailure(exported, s.spec.name, s.ttf ? secondsLeft(s.ttf, t.seenAt) : undefined);
    }
  }
}
