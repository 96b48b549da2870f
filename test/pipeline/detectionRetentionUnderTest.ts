import pino from 'pino';
import { Registry } from 'prom-client';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { DetectionRetention } from '../../src/server/pipeline/store/retention';
import type { TestClock } from './helpers';

const DAY = 86_400_000;

/**
 * A DetectionRetention on `repo` and the test's clock, as the detection retention tests drive it: a
 * 7-day watch (retraining reads the feedback of the last 7 days, and a day of margin), its log lines
 * kept, and its counter of pruned rows per table.
 */
export function detectionRetentionUnderTest(
  repo: PipelineRepository,
  clock: TestClock,
  days: number,
  leads: () => boolean = () => true
) {
  const registry = new Registry();
  const logged: Array<{ level: number; msg: string }> = [];
  const retention = new DetectionRetention({
    days,
    repo,
    longestHistory: () => 7 * DAY,
    leads,
    metrics: registry,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    now: clock.now,
  });
  const pruned = async () =>
    Object.fromEntries(
      (await registry.getSingleMetric('failureprophet_detection_pruned_total')!.get()).values.map((v) => [
        v.labels.table,
        v.value,
      ])
    );
  return { retention, logged, pruned };
}
