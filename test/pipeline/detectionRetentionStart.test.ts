// FP_DETECTION_RETENTION_DAYS from the environment to the leader's prune: validated like
// FP_HEALING_RETENTION_DAYS, warned about at start-up where it keeps records longer than it says, and
// run by the backend as main assembles it, on the healing tick's cadence.

import pino from 'pino';
import { Registry } from 'prom-client';
import { assembleBackend } from '../../src/server/assemble';
import { ConfigError, loadConfig } from '../../src/server/config/load';
import { configSchema } from '../../src/server/config/schema';
import { createMetricsRegistry } from '../../src/server/metrics';
import { DetectionRetention, retentionWarnings } from '../../src/server/pipeline/store/retention';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import { anomalyRecord, cycleWrite } from '../harness/anomalyRecords';
import { TestClock } from './helpers';

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00Z');

it('keeps every detection record unless FP_DETECTION_RETENTION_DAYS (or pipeline.retentionDays) names whole days', () => {
  expect(loadConfig({}).pipeline.retentionDays).toBe(0);
  expect(loadConfig({ FP_DETECTION_RETENTION_DAYS: '30' }).pipeline.retentionDays).toBe(30);
  for (const bad of ['-1', '1.5', 'thirty', '30d', '0x10', '1e2', ' ']) {
    expect(() => loadConfig({ FP_DETECTION_RETENTION_DAYS: bad })).toThrow(
      new ConfigError(
        'invalid configuration:\n  - pipeline.retentionDays (from FP_DETECTION_RETENTION_DAYS): must be a whole number of days such as 30 (0 keeps everything)'
      )
    );
  }
  expect(configSchema.parse({ pipeline: { retentionDays: 7 } }).pipeline.retentionDays).toBe(7);
  expect(() => configSchema.parse({ pipeline: { retentionDays: -7 } })).toThrow(/whole number of days/);
});

it('warns where the retention keeps records longer than it says: a longer watch history, healing records kept longer', () => {
  const watches = [
    { name: 'memory', history: 7 * DAY },
    { name: 'latency', history: 2 * DAY },
  ];
  expect(retentionWarnings(0, 0, watches)).toEqual([]);
  expect(retentionWarnings(30, 30, watches)).toEqual([]);
  expect(retentionWarnings(3, 3, watches)).toEqual([
    "FP_DETECTION_RETENTION_DAYS=3 is shorter than the history of watch memory (7 d): retraining reads the feedback on anomalies inside a watch's history, so anomalies with feedback are kept 8 days (the longest history and a day); the others go after 3 days",
  ]);
  expect(retentionWarnings(30, 0, watches)).toEqual([
    'FP_DETECTION_RETENTION_DAYS=30 but FP_HEALING_RETENTION_DAYS is 0 (keep everything): an anomaly stays as long as the healing trigger it opened, and healing keeps every trigger, so no anomaly healing took in is pruned (only predictions, old model versions and anomalies healing never saw); set FP_HEALING_RETENTION_DAYS too',
  ]);
  expect(retentionWarnings(30, 90, watches)).toEqual([
    'FP_DETECTION_RETENTION_DAYS=30 is shorter than FP_HEALING_RETENTION_DAYS=90: an anomaly stays as long as the healing trigger it opened, so anomalies healing took in are kept about 90 days',
  ]);
});

it('is warned about and run by the backend as main assembles it, with its watches and on the healing tick', async () => {
  const clock = new TestClock(NOW - 10 * DAY);
  const store = openSqliteDatabase(':memory:', clock.now);
  try {
    const logged: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const config = configSchema.parse({
      pipeline: { retentionDays: 3 },
      healing: { retentionDays: 3, tickInterval: '2s' },
      watches: [{ name: 'memory', queries: { used: 'node_memory_used_bytes' }, history: '7d' }],
    });
    const backend = await assembleBackend({ config, store, logger, metrics: createMetricsRegistry(), clock });
    expect(logged.filter((l) => l.level === 40 && l.msg.startsWith('FP_DETECTION_RETENTION_DAYS'))).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining('shorter than the history of watch memory (7 d)'),
      }),
    ]);

    const old = anomalyRecord(1, { start: NOW - 10 * DAY - 60_000, end: NOW - 10 * DAY });
    const labelled = anomalyRecord(2, { start: NOW - 6 * DAY - 60_000, end: NOW - 6 * DAY });
    const [a, b] = await store.pipeline.commitCycle(cycleWrite({ anomalies: [old, labelled] }));
    await store.pipeline.addFeedback(b.id!, 'false_positive', 'operator', 'ann', null);
    clock.ms = NOW;
    backend.detectionRetention.start(clock, config.healing.tickInterval);
    clock.advance(2000);
    await backend.detectionRetention.stop();
    // The feedback six days old is inside the watch's seven days: retraining still reads it.
    expect(await store.pipeline.anomaly(a.id!)).toBeUndefined();
    expect(await store.pipeline.anomaly(b.id!)).toBeDefined();
    expect(logged.at(-1)?.msg).toMatch(/^detection retention pruned 1 closed anomalies/);
    await backend.healing.stop();
  } finally {
    await store.close();
  }
});

it('logs a batch the store refused and runs it again at the next tick', async () => {
  const clock = new TestClock(NOW - 10 * DAY);
  const store = openSqliteDatabase(':memory:', clock.now);
  try {
    const [old] = await store.pipeline.commitCycle(
      cycleWrite({ anomalies: [anomalyRecord(1, { start: NOW - 10 * DAY - 60_000, end: NOW - 10 * DAY })] })
    );
    const logged: Array<{ level: number; msg: string }> = [];
    let refusals = 1;
    const retention = new DetectionRetention({
      days: 3,
      repo: {
        pruneAnomalies: (cutoffs, limit) =>
          refusals-- > 0
            ? Promise.reject(new Error('SQLITE_FULL: database or disk is full'))
            : store.pipeline.pruneAnomalies(cutoffs, limit),
        prunePredictions: (before, limit) => store.pipeline.prunePredictions(before, limit),
        pruneModels: (before, limit) => store.pipeline.pruneModels(before, limit),
        pruneRetrainRequests: (before, limit) => store.pipeline.pruneRetrainRequests(before, limit),
      },
      longestHistory: () => DAY,
      leads: () => true,
      metrics: new Registry(),
      logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
      now: clock.now,
    });
    clock.ms = NOW;
    retention.start(clock, 2000);
    clock.advance(2000);
    await retention.stop();
    expect(logged.map((l) => [l.level, l.msg])).toEqual([
      [50, 'detection retention: a prune batch failed; it is tried again at the next tick'],
    ]);
    expect(await store.pipeline.anomaly(old.id!)).toBeDefined();
    retention.start(clock, 2000);
    clock.advance(2000);
    await retention.stop();
    expect(await store.pipeline.anomaly(old.id!)).toBeUndefined();
  } finally {
    await store.close();
  }
});
