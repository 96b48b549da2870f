import type { WatchStatus } from '../contract/pipeline';
import { summaryLine } from './summary';

const watch = (over: Partial<WatchStatus>): WatchStatus => ({
  name: 'w',
  queries: { q: 'up' },
  targetLabels: ['instance'],
  stepSeconds: 60,
  historySeconds: 3600,
  source: 'http://prometheus:9090',
  targets: 0,
  series: 0,
  degraded: false,
  lastError: null,
  lastProcessedAt: null,
  lastCycleAt: null,
  lastCycleSeconds: null,
  ...over,
});

describe('summaryLine', () => {
  it('counts targets, open anomalies, pending actions and the slowest cycle in one line', () => {
    const line = summaryLine({
      watches: [
        watch({ name: 'node', targets: 3, lastCycleSeconds: 0.25 }),
        watch({ name: 'pods', targets: 9, lastCycleSeconds: 1.5, degraded: true }),
        watch({ name: 'http', degraded: true, lastError: { kind: 'unconfigured', message: 'off', at: 0 } }),
      ],
      openAnomalies: 2,
      awaitingApproval: 1,
    });
    expect(line).toBe(
      'summary: 12 targets in 3 watches (1 off, 1 degraded), 2 open anomalies, 1 action awaiting approval, slowest cycle 1.50 s'
    );
  });

  it('says when no cycle has run yet, in the singular where it is one', () => {
    expect(summaryLine({ watches: [watch({ targets: 1 })], openAnomalies: 1, awaitingApproval: 0 })).toBe(
      'summary: 1 target in 1 watch, 1 open anomaly, 0 actions awaiting approval, no cycle run yet'
    );
  });
});
