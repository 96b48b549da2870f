import type { Logger } from 'pino';
import type { WatchConfig } from '../config/schema';
import type { AnomalyListener } from './listener';
import type { PipelineMetrics } from './metrics';
import type { PipelineRepository } from './store/repository';
import type { AnomalyRecord } from './targetModel';

export interface AnnounceDeps {
  watch: WatchConfig;
  repo: PipelineRepository;
  metrics: PipelineMetrics;
  listener: AnomalyListener;
  logger: Logger;
}

/**
 * Tells listeners about stored anomalies that are still current; a replayed past is stored, not
 * acted on. `fresh` are the ones opened in this chunk, `end` the last step of the cycle.
 */
export function announce(deps: AnnounceDeps, stored: AnomalyRecord[], fresh: Set<AnomalyRecord>, end: number): void {
  const { watch, repo, metrics, listener, logger } = deps;
  // Closing comes closeAfter quiet steps after the end, so a just-closed anomaly is still current.
  const liveSince = end - (watch.closeAfter + 2) * watch.step;
  for (const a of stored) {
    if (fresh.has(a)) {
      metrics.anomaliesOpened.inc({ watch: watch.name, severity: a.severity });
    }
    if (a.end < liveSince || a.id === undefined) {
      continue;
    }
    const anomaly = repo.anomaly(a.id);
    if (!anomaly) {
      continue;
    }
    try {
      if (fresh.has(a)) {
        listener.opened(anomaly);
      } else if (a.state === 'open') {
        listener.updated(anomaly);
      }
      if (a.state === 'closed') {
        listener.closed(anomaly);
      }
    } catch (err) {
      logger.error({ watch: watch.name, anomaly: a.id, err }, 'an anomaly listener failed');
    }
  }
}
