import { aboutDuration } from '../../contract/pipeline';
import type { WatchConfig } from '../config/schema';
import type { TargetModel } from './targetModel';
import { counted } from '../../utils/count';

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
 * matched, and for a query that matched none, why that usually is; and a target label that no
 * series has (misspelt, or dropped by the query's aggregation): its series all fall into one target.
 */
export function describeMatch(
  watch: WatchConfig,
  seriesBySignal: Map<string, number>,
  targetList: Iterable<{ labels: Record<string, string> }>
): { level: 'info' | 'warn'; message: string } {
  const all = [...targetList];
  const targets = all.length;
  const signals = Object.keys(watch.queries);
  const empty = signals.filter((s) => (seriesBySignal.get(s) ?? 0) === 0);
  const series = signals.reduce((sum, s) => sum + (seriesBySignal.get(s) ?? 0), 0);
  if (series === 0) {
    const hints = [...new Set(signals.map((s) => exporterHint(watch.queries[s])))].join(' ');
    const what = signals.length === 1 ? 'the query returned nothing' : `its ${signals.length} queries returned nothing`;
    return { level: 'warn', message: `watch ${watch.name}: 0 series: ${what}; ${hints}` };
  }
  const counts = signals.map((s) => `${s} ${seriesBySignal.get(s) ?? 0}`).join(', ');
  const message = `watch ${watch.name}: ${series} series, ${counted(targets, 'target')} (${counts})`;
  const unlabelled = watch.target.filter((label) => all.every((t) => !t.labels[label]));
  const problems = [
    ...empty.map((s) => `${s} matched none (${exporterHint(watch.queries[s])})`),
    ...unlabelled.map(
      (label) =>
        `no series has the target label "${label}", so it does not tell targets apart (is it misspelt in the watch's target, or aggregated away by its queries?)`
    ),
  ];
  return problems.length === 0
    ? { level: 'info', message }
    : { level: 'warn', message: `${message}; ${problems.join('; ')}` };
}

/**
 * Logs a watch's match report (describeMatch) after its first cycle, and once more when a watch that
 * matched nothing first matches: a Prometheus started with the backend has no samples yet, and
 * "0 series: is node-exporter scraped?" must not stay the last word on a watch that works.
 */
export class MatchLog {
  private reported: 'no' | 'empty' | 'series' = 'no';

  constructor(
    private readonly watch: WatchConfig,
    private readonly logger: Record<'info' | 'warn', (fields: object, message: string) => void>
  ) {}

  report(
    seriesBySignal: Map<string, number>,
    series: number,
    targets: Iterable<{ labels: Record<string, string> }>
  ): void {
    if (this.reported === 'series' || (this.reported === 'empty' && series === 0)) {
      return;
    }
    this.reported = series > 0 ? 'series' : 'empty';
    const { level, message } = describeMatch(this.watch, seriesBySignal, targets);
    this.logger[level]({ watch: this.watch.name, series }, message);
  }
}

/** A watch's targets, which describeLearning may read twice (`values()` of a map or an array). */
type Targets = { values(): Iterable<TargetModel> };

/**
 * One line per watch while its targets learn, each time the slowest one passes another tenth
 * ("watch node-memory: 12 targets, learning 40%, about 7 h left"), and one when all are ready;
 * undefined when the tenth is still `lastTenth` (or the watch has no targets). `targets` is read
 * again for the ready line only (a map or an array: each `values()` reads it afresh).
 */
export function describeLearning(
  watch: string,
  targets: Targets,
  lastTenth: number
): { tenth: number; progress: number; message: string } | undefined {
  let slowest: TargetModel | undefined;
  let count = 0;
  for (const t of targets.values()) {
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
  const what = counted(count, 'target');
  // Asked of every target for the ready line only, not at every cycle.
  let shapesLeft = 0;
  if (tenth >= 10) {
    for (const t of targets.values()) {
      shapesLeft = Math.max(shapesLeft, t.faultsOnlySecondsLeft);
    }
  }
  return {
    tenth,
    progress,
    message:
      tenth >= 10
        ? shapesLeft > 0
          ? `watch ${watch}: ${what}, learned: forecasts and gross-fault anomalies are on; other anomalies once the series' shapes are learned, ${aboutDuration(shapesLeft)} on`
          : `watch ${watch}: ${what}, learned: anomalies and forecasts are on`
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

  report(targets: Targets): void {
    const line = describeLearning(this.watch, targets, this.tenth);
    if (line) {
      this.tenth = line.tenth;
      this.logger.info({ watch: this.watch, learningProgress: line.progress }, line.message);
    }
  }
}
