import type { PipelineMetrics } from './metrics';
import type { StoredTarget } from './store/repository';
import type { AnomalyRecord, PredictionRecord, TargetModel } from './targetModel';

/** What one chunk hands to the store: the targets' changes, and the targets that went stale. */
export interface ChunkChanges {
  anomalies: AnomalyRecord[];
  /** The anomalies opened in this chunk (not stored before). */
  fresh: Set<AnomalyRecord>;
  predictions: PredictionRecord[];
  /** Targets without a sample since `staleBefore`: their open anomaly closed, their state to be dropped. */
  forgotten: TargetModel[];
}

/** Takes the changes of the scored targets, and closes and collects the targets that went stale. */
export function gatherChanges(
  touched: TargetModel[],
  targets: Iterable<TargetModel>,
  staleBefore: number
): ChunkChanges {
  const anomalies: AnomalyRecord[] = [];
  const predictions: PredictionRecord[] = [];
  for (const t of touched) {
    const changes = t.takeChanges();
    anomalies.push(...changes.anomalies);
    predictions.push(...changes.predictions);
  }
  const fresh = new Set(anomalies.filter((a) => a.id === undefined));
  const forgotten: TargetModel[] = [];
  for (const target of targets) {
    if (!(target.lastAt >= staleBefore)) {
      target.close();
      anomalies.push(...target.takeChanges().anomalies);
      forgotten.push(target);
    }
  }
  return { anomalies, fresh, predictions, forgotten };
}

/** The stored form of targets' state. */
export function storedTargets(targets: Iterable<TargetModel>): StoredTarget[] {
  return [...targets].map((t) => ({ id: t.id, watch: t.watch, labels: t.labels, state: t.toState() }));
}

/** Sets the per-target gauges of the scored targets and drops those of the forgotten ones. */
export function publishTargetMetrics(
  metrics: PipelineMetrics,
  watch: string,
  touched: TargetModel[],
  forgotten: TargetModel[]
): void {
  for (const t of touched) {
    metrics.score.set({ watch, target: t.id }, t.score);
    metrics.anomaliesOpen.set({ watch, target: t.id }, t.open ? 1 : 0);
    metrics.learningProgress.set({ watch, target: t.id }, t.learningProgress);
    for (const s of t.signals) {
      if (s.ttf) {
        metrics.timeToFailure.set({ watch, target: t.id, signal: s.spec.name }, s.ttf.seconds);
      } else if (s.forecaster) {
        metrics.timeToFailure.remove({ watch, target: t.id, signal: s.spec.name });
      }
    }
  }
  for (const t of forgotten) {
    metrics.forget(
      watch,
      t.id,
      t.signals.map((s) => s.spec.name)
    );
  }
}
