import { aboutDuration } from '../../contract/pipeline';
import type { WatchConfig } from '../config/schema';
import type { TargetModel } from './targetModel';

/** Which exporter usually provides a metric, by its name's prefix: the first thing to check when a query matches nothing. */
const EXPORTERS: Array<[RegExp, string]> = [
  [/\bnode_/, 'node-exporter'],
  [/\bkube_/, 'kube-state-metrics'],
  [/\bcontainer_/, "cAdvisor (the kubelet's /metrics/cadvisor)"],
  [/\bdemo_/, 'the demo workload'],
];

function exporterHint(query: string): string {
  const exporter = EXPORTERS.find(([pattern]) => pattern.test(query))?.[1];
  return exporter
    ? `is ${exporter} scraped?`
    : 'is the service that exports it scraped? (try the query in Grafana Explore)';
}

/**
 * The line an operator reads once a watch's first cycle has run: how many series each query
 * matched, and for a query that matched none, why that usually is.
 */
export function describeMatch(
  watch: WatchConfig,
  seriesBySignal: Map<string, number>,
  targets: number
): { level: 'info' | 'warn'; message: string } {
  const signals = Object.keys(watch.queries);
  const empty = signals.filter((s) => (seriesBySignal.get(s) ?? 0) === 0);
  const series = signals.reduce((sum, s) => sum + (seriesBySignal.get(s) ?? 0), 0);
  if (series === 0) {
    const hints = [...new Set(signals.map((s) => exporterHint(watch.queries[s])))].join(' ');
    const what = signals.length === 1 ? 'the query returned nothing' : `its ${signals.length} queries returned nothing`;
    return { level: 'warn', message: `watch ${watch.name}: 0 series: ${what}; ${hints}` };
  }
  const counts = signals.map((s) => `${s} ${seriesBySignal.get(s) ?? 0}`).join(', ');
  const message = `watch ${watch.name}: ${series} series, ${targets} ${targets === 1 ? 'target' : 'targets'} (${counts})`;
  if (empty.length === 0) {
    return { level: 'info', message };
  }
  const missing = empty.map((s) => `${s} matched none (${exporterHint(watch.queries[s])})`).join('; ');
  return { level: 'warn', message: `${message}; ${missing}` };
}

/**
 * One line per watch while its targets learn, each time the slowest one passes another tenth
 * ("watch node-memory: 12 targets, learning 40%, about 7 h left"), and one when all are ready;
 * undefined when the tenth is still `lastTenth` (or the watch has no targets).
 */
export function describeLearning(
  watch: string,
  targets: Iterable<TargetModel>,
  lastTenth: number
): { tenth: number; progress: number; message: string } | undefined {
  let slowest: TargetModel | undefined;
  let count = 0;
  for (const t of targets) {
    count++;
    if (slowest === undefined || t.learningProgress < slowest.learningProgress) {
      slowest = t;
    }
  }
  if (slowest === undefined) {
    return undefined;
  }
  const progress = slowest.learningProgress;
  const tenth = Math.floor(10 * progress);
  if (tenth === lastTenth) {
    return undefined;
  }
  const what = `${count} target${count === 1 ? '' : 's'}`;
  return {
    tenth,
    progress,
    message:
      tenth >= 10
        ? `watch ${watch}: ${what}, learned: anomalies and forecasts are on`
        : `watch ${watch}: ${what}, learning ${Math.floor(100 * progress)}%, ${aboutDuration(slowest.learningSecondsLeft)} left`,
  };
}

/** Logs a watch's learning line (describeLearning) each time the slowest target passes another tenth. */
export class LearningLog {
  private tenth = -1;

  constructor(
    private readonly watch: string,
    private readonly logger: { info(fields: object, message: string): void }
  ) {}

  report(targets: Iterable<TargetModel>): void {
    const line = describeLearning(this.watch, targets, this.tenth);
    if (line) {
      this.tenth = line.tenth;
      this.logger.info({ watch: this.watch, learningProgress: line.progress }, line.message);
    }
  }
}
