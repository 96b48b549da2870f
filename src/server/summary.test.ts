import pino from 'pino';
import { TestClock } from '../../test/pipeline/helpers';
import type { WatchStatus } from '../contract/pipeline';
import { startSummary, SUMMARY_EVERY_MS, summaryLine } from './summary';

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

describe('startSummary', () => {
  it('logs the line every period of the clock it is given, survives facts that fail, and stops', () => {
    const clock = new TestClock(0);
    const lines: string[] = [];
    const warnings: string[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (l: string) => void (JSON.parse(l).level === 40 ? warnings : lines).push(JSON.parse(l).msg) }
    );
    let open = 0;
    const stop = startSummary(
      logger,
      () => {
        if (open === 2) {
          throw new Error('store closed');
        }
        return { watches: [watch({ targets: 1 })], openAnomalies: open, awaitingApproval: 0 };
      },
      clock
    );
    clock.advance(SUMMARY_EVERY_MS - 1);
    expect(lines).toEqual([]);
    clock.advance(1);
    open = 2;
    clock.advance(SUMMARY_EVERY_MS);
    open = 1;
    clock.advance(SUMMARY_EVERY_MS);
    expect(lines).toEqual([
      'summary: 1 target in 1 watch, 0 open anomalies, 0 actions awaiting approval, no cycle run yet',
      'summary: 1 target in 1 watch, 1 open anomaly, 0 actions awaiting approval, no cycle run yet',
    ]);
    expect(warnings).toEqual(['the periodic summary could not be built']);
    stop();
    clock.advance(10 * SUMMARY_EVERY_MS);
    expect(lines).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });
});
