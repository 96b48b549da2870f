import type { WatchStatus } from '../../src/contract/pipeline';

/** A watch as the pipeline reports it (`up` by instance, one-minute steps over an hour, one target); degraded when it has a last error. */
export const reportedWatch = (
  name: string,
  lastError: WatchStatus['lastError'],
  source = 'http://prometheus.internal:9090'
): WatchStatus => ({
  name,
  queries: { up: 'up' },
  targetLabels: ['instance'],
  stepSeconds: 60,
  historySeconds: 3600,
  source,
  targets: 1,
  series: 1,
  degraded: lastError !== null,
  lastError,
  lastProcessedAt: null,
  lastCycleAt: null,
  lastCycleSeconds: null,
});
