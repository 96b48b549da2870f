import type { Logger } from 'pino';
import type { WatchConfig } from '../config/schema';
import type { AnomalyEvent, AnomalyListener } from './listener';
import type { PipelineMetrics } from './metrics';
import type { AnomalyRecord, TargetModel } from './targetModel';

export interface AnnounceDeps {
  watch: WatchConfig;
  metrics: PipelineMetrics;
  listener: AnomalyListener;
  logger: Logger;
}

/**
 * Tells listeners about stored anomalies that are still current; a replayed past is stored, not
 * acted on. `fresh` are the ones opened in this chunk, `end` the last step of the cycle, `targets`
 * the targets the anomalies are on (by id).
 */
export function announce(
  deps: AnnounceDeps,
  stored: AnomalyRecord[],
  fresh: Set<AnomalyRecord>,
  end: number,
  targets: ReadonlyMap<string, TargetModel>
): void {
  const { watch, metrics, listener, logger } = deps;
  // Closing comes closeAfter quiet steps after the end, so a just-closed anomaly is still current.
  const liveSince = end - (watch.closeAfter + 2) * watch.step;
  for (const a of stored) {
    if (fresh.has(a)) {
      metrics.anomaliesOpened.inc({ watch: watch.name, severity: a.severity });
    }
    const target = targets.get(a.targetId);
    if (a.end < liveSince || a.id === undefined || !target) {
      continue;
    }
    const event = anomalyEvent(a, a.id, target);
    try {
      if (fresh.has(a)) {
        listener.opened(event);
      } else if (a.state === 'open') {
        listener.updated(event);
      }
      if (a.state === 'closed') {
        listener.closed(event);
      }
    } catch (err) {
      logger.error({ watch: watch.name, anomaly: a.id, err }, 'an anomaly listener failed');
    }
  }
}

/** The event of a stored anomaly: the anomaly as the store now holds it, and its target as just scored. */
export function anomalyEvent(a: AnomalyRecord, id: number, target: TargetModel): AnomalyEvent {
  const ttf = target.ttf;
  return {
    anomaly: {
      id,
      target: a.targetId,
      watch: a.watch,
      // Copies: the open record goes on changing in place while a listener may still hold the event.
      labels: { ...a.labels },
      start: a.start,
      end: a.end,
      peakScore: a.peakScore,
      peak: a.peak && { ...a.peak },
      severity: a.severity,
      failureModel: a.failureModel,
      state: a.state,
      signals: [...a.signals],
      direction: a.direction,
      reasons: [...a.reasons],
    },
    object: target.object,
    score: target.score,
    ...(ttf ? { predictedFailureAt: ttf.fromMs + ttf.seconds * 1000 } : {}),
  };
}
