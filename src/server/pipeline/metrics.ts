import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The failureprophet_* metrics of the pipeline: per-target results and the loop's own health. */
/** The gauges with one series per watch. */
const WATCH_GAUGES = {
  seriesWatched: { name: 'failureprophet_series_watched', help: 'Series the last cycle of a watch scored' },
  targetsWatched: { name: 'failureprophet_targets_watched', help: 'Targets a watch holds state for' },
  degraded: { name: 'failureprophet_watch_degraded', help: '1 while the last query of a watch failed' },
  lastProcessed: { name: 'failureprophet_last_processed_timestamp_seconds', help: 'Last step a watch has scored' },
  targetsUnexported: {
    name: 'failureprophet_targets_without_series',
    help: 'Targets of a watch scored in its last cycle without per-target series: pipeline.maxTargetSeries was reached',
  },
};

/** The parts a watch cycle's time is counted in (failureprophet_cycle_phase_seconds_total). */
export const CYCLE_PHASES = ['query', 'align', 'score', 'checkpoint', 'publish'] as const;
export type CyclePhase = (typeof CYCLE_PHASES)[number];

/** A target with per-target series (what `admit` hands out): the values last set (NaN: not yet), and the signals with a time to failure. */
export interface ExportedTarget {
  watch: string;
  target: string;
  open: number;
  progress: number;
  ttf: Set<string>;
}

export class PipelineMetrics {
  readonly score: Gauge<'watch' | 'target'>;
  readonly timeToFailure: Gauge<'watch' | 'target' | 'signal'>;
  readonly anomaliesOpen: Gauge<'watch' | 'target'>;
  readonly learningProgress: Gauge<'watch' | 'target'>;
  readonly anomaliesOpened: Counter<'watch' | 'severity'>;
  readonly cycleDuration: Histogram<'watch'>;
  readonly scoringDuration: Histogram<'watch'>;
  readonly cyclePhaseSeconds: Counter<'watch' | 'phase'>;
  readonly queryErrors: Counter<'watch' | 'kind'>;
  readonly seriesWatched: Gauge<'watch'>;
  readonly targetsWatched: Gauge<'watch'>;
  readonly degraded: Gauge<'watch'>;
  readonly lastProcessed: Gauge<'watch'>;
  readonly targetsUnexported: Gauge<'watch'>;
  /** Targets with per-target series now, by watch and target; quiet ones (which an important target may replace) apart. */
  private readonly exported = new Map<string, Map<string, ExportedTarget>>();
  private exportedCount = 0;
  private readonly quiet = new Set<ExportedTarget>();

  constructor(
    registry: Registry,
    /** Most targets with per-target series at once (pipeline.maxTargetSeries). */
    private readonly maxTargets = Infinity
  ) {
    const registers = [registry];
    // Every series but the histograms is declared alike: by its name, help and labels.
    type Named = { name: string; help: string };
    const gauge = <L extends string>(named: Named, labelNames: L[]) =>
      new Gauge<L>({ ...named, labelNames, registers });
    const counter = <L extends string>(named: Named, labelNames: L[]) =>
      new Counter<L>({ ...named, labelNames, registers });
    const watchGauge = (named: Named) => gauge(named, ['watch']);
    const targetGauge = (named: Named) => gauge(named, ['watch', 'target']);
    this.score = targetGauge({
      name: 'failureprophet_anomaly_score',
      help: 'Anomaly score of a target at its last scored step, in [0, 1]',
    });
    this.timeToFailure = gauge(
      {
        name: 'failureprophet_time_to_failure_seconds',
        help: 'Forecast time until a signal of a target crosses its configured limit; absent while learning or when the data supports no prediction',
      },
      ['watch', 'target', 'signal']
    );
    this.anomaliesOpen = targetGauge({ name: 'failureprophet_anomalies_open', help: 'Open anomalies of a target' });
    this.learningProgress = targetGauge({
      name: 'failureprophet_learning_progress',
      help: 'How far a target is through its learning period, in [0, 1] (1: it may alarm and forecast)',
    });
    this.anomaliesOpened = counter(
      { name: 'failureprophet_anomalies_opened_total', help: 'Anomalies opened, by severity at opening' },
      ['watch', 'severity']
    );
    this.cycleDuration = new Histogram({
      name: 'failureprophet_cycle_duration_seconds',
      help: 'Duration of one watch cycle: queries, scoring and storing',
      labelNames: ['watch'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.scoringDuration = new Histogram({
      name: 'failureprophet_scoring_duration_seconds',
      help: 'Scoring part of a watch cycle (detectors, forecasts, anomaly tracking), without queries and storage',
      labelNames: ['watch'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.cyclePhaseSeconds = counter(
      {
        name: 'failureprophet_cycle_phase_seconds_total',
        help: 'Time watch cycles spent per phase: query (fetch, parse, check the answers), align, score, checkpoint (encode and store), publish (metrics, listeners)',
      },
      ['watch', 'phase']
    );
    this.queryErrors = counter(
      { name: 'failureprophet_query_errors_total', help: 'Queries that failed after retries, by kind' },
      ['watch', 'kind']
    );
    this.seriesWatched = watchGauge(WATCH_GAUGES.seriesWatched);
    this.targetsWatched = watchGauge(WATCH_GAUGES.targetsWatched);
    this.degraded = watchGauge(WATCH_GAUGES.degraded);
    this.lastProcessed = watchGauge(WATCH_GAUGES.lastProcessed);
    this.targetsUnexported = watchGauge(WATCH_GAUGES.targetsUnexported);
  }

  /**
   * Whether a target may have its per-target series, keeping their number within maxTargets: a
   * target already exported stays; a new one gets a free place, or, when `important` (an open
   * anomaly, a time to failure), the place of a quiet one, whose series are dropped. Undefined
   * when it may not; else what `publish` sets the series of.
   */
  admit(watch: string, target: string, important: boolean): ExportedTarget | undefined {
    let entry = this.exported.get(watch)?.get(target);
    if (!entry) {
      if (this.exportedCount >= this.maxTargets) {
        const victim = important ? this.quiet.values().next() : undefined;
        if (!victim || victim.done) {
          return undefined;
        }
        this.forget(victim.value.watch, victim.value.target);
      }
      entry = { watch, target, open: NaN, progress: NaN, ttf: new Set() };
      let targets = this.exported.get(watch);
      if (!targets) {
        targets = new Map();
        this.exported.set(watch, targets);
      }
      targets.set(target, entry);
      this.exportedCount++;
    }
    if (important) {
      this.quiet.delete(entry);
    } else {
      this.quiet.add(entry);
    }
    return entry;
  }

  /**
   * Sets an admitted target's series. Its score moves every step; its open anomalies and learning
   * progress seldom do, and prom-client hashes the labels of every `set`, so an unchanged one is not
   * set again (a fleet's cycle set thousands).
   */
  publish(entry: ExportedTarget, score: number, open: number, progress: number): void {
    const { watch, target } = entry;
    this.score.set({ watch, target }, score);
    if (!Object.is(entry.open, open)) {
      this.anomaliesOpen.set({ watch, target }, open);
      entry.open = open;
    }
    if (!Object.is(entry.progress, progress)) {
      this.learningProgress.set({ watch, target }, progress);
      entry.progress = progress;
    }
  }

  /** Sets an admitted target's time to failure of `signal`, or drops its series (`undefined`: no justified prediction). */
  publishTimeToFailure(entry: ExportedTarget, signal: string, seconds: number | undefined): void {
    const { watch, target } = entry;
    if (seconds !== undefined) {
      this.timeToFailure.set({ watch, target, signal }, seconds);
      entry.ttf.add(signal);
    } else if (entry.ttf.delete(signal)) {
      this.timeToFailure.remove({ watch, target, signal });
    }
  }

  /** Drops a forgotten target's series so /metrics does not report it forever. */
  forget(watch: string, target: string): void {
    const targets = this.exported.get(watch);
    const entry = targets?.get(target);
    if (!targets || !entry) {
      return;
    }
    targets.delete(target);
    if (targets.size === 0) {
      this.exported.delete(watch);
    }
    this.exportedCount--;
    this.quiet.delete(entry);
    this.score.remove({ watch, target });
    this.anomaliesOpen.remove({ watch, target });
    this.learningProgress.remove({ watch, target });
    for (const signal of entry.ttf) {
      this.timeToFailure.remove({ watch, target, signal });
    }
  }

  /** Drops a removed watch's own series (its targets' series go with `forget`). */
  removeWatch(watch: string): void {
    for (const gauge of [
      this.targetsWatched,
      this.seriesWatched,
      this.degraded,
      this.lastProcessed,
      this.targetsUnexported,
    ]) {
      gauge.remove({ watch });
    }
    for (const phase of CYCLE_PHASES) {
      this.cyclePhaseSeconds.remove({ watch, phase });
    }
  }

  /** Counts the time from `startedMs` to `nowMs` (the server clock's `elapsed()`) in the watch's cycle phase; returns `nowMs`. */
  countPhase(watch: string, phase: CyclePhase, startedMs: number, nowMs: number): number {
    this.cyclePhaseSeconds.inc({ watch, phase }, (nowMs - startedMs) / 1000);
    return nowMs;
  }
}
