import { aboutDuration } from '../../contract/pipeline';
import { LearningLog } from './matchReport';
import type { TargetModel } from './targetModel';
import { jobTarget, testSettings } from './testTargets';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 4, 1);

function target(job: string, detector: 'zscore' | 'failureprophet' = 'zscore'): TargetModel {
  const model = jobTarget(job, testSettings({ stepMs: MINUTE, closeAfter: 2, detector }), 0.5);
  model.signalIndex({ name: 'x', kind: 'cpu', limits: {} });
  return model;
}

it('logs a watch’s learning once per tenth of its slowest target, then once when all have learned', () => {
  const lines: Array<{ fields: object; message: string }> = [];
  const log = new LearningLog('node-memory', {
    info: (fields: object, message: string) => void lines.push({ fields, message }),
  });
  const fast = target('a');
  const slow = target('b');
  for (let i = 0; i < 5; i++) {
    fast.step(T0 + i * MINUTE, [0.5 + (i % 2) / 10]);
  }
  for (let i = 0; i < 30; i++) {
    fast.step(T0 + (5 + i) * MINUTE, [0.5 + (i % 2) / 10]);
    slow.step(T0 + i * MINUTE, [0.5 + (i % 2) / 10]);
    log.report([fast, slow]);
    log.report([fast, slow]);
  }
  const messages = lines.map((l) => l.message);
  // One line per tenth the slowest passes, never the same tenth twice, ending with the ready line.
  expect(new Set(messages).size).toBe(messages.length);
  expect(messages[0]).toMatch(/^watch node-memory: 2 targets, learning \d+%, about .+ left$/);
  expect(messages.at(-1)).toBe('watch node-memory: 2 targets, learned: anomalies and forecasts are on');
  expect(lines.at(-1)!.fields).toEqual({ watch: 'node-memory', learningProgress: 1 });
  expect(messages.length).toBeGreaterThan(2);
});

it('says, once all have learned, that only gross faults alarm while the detector still learns the shapes', () => {
  const messages: string[] = [];
  const log = new LearningLog('node-memory', { info: (_: object, message: string) => void messages.push(message) });
  const t = target('a', 'failureprophet');
  for (let i = 0; i < 200; i++) {
    t.step(T0 + i * MINUTE, [0.5 + (i % 7) / 10]);
  }
  log.report([t]);
  expect(t.learning).toBe(false);
  expect(t.faultsOnlySecondsLeft).toBeGreaterThan(0);
  expect(messages).toEqual([
    `watch node-memory: 1 target, learned: forecasts and gross-fault anomalies are on; other anomalies once the series' shapes are learned, ${aboutDuration(t.faultsOnlySecondsLeft)} on`,
  ]);
});
