import { messageOf } from '../../utils/messageOf';
import type { Logger } from 'pino';
import type { ModelVersion, WatchStatus } from '../../contract/pipeline';
import type { Clock } from '../clock';
import type { WatchConfig } from '../config/schema';
import type { RangeSeries } from '../prometheus/types';
import { alignChunk, alignStep } from './alignment';
import { announce } from './announce';
import { gatherChanges, publishTargetMetrics, storedTargets, UnsavedStates } from './checkpoint';
import type { AnomalyListener } from './listener';
import { describeLearning, describeMatch } from './matchReport';
import type { PipelineMetrics } from './metrics';
import { WatchShare, type TargetOwnership } from './ownership';
import { PeerGroups } from './peerGroups';
import { fetchChunk, watchDefinition, watchIdentity, WatchQueryError, type RangeQuerier } from './query';
import { baseThreshold, recordInitialModels, retrainTargets, type TrainingDeps } from './retraining';
import type { PipelineRepository } from './store/repository';
import { TargetModel, type AnomalyRecord, type TargetSettings } from './targetModel';
import { kubernetesObject } from './targets';
import { absencesAt, fetchScrapeHealth, type ScrapeHealth } from './vanished';

/** Tests build queriers against this name. */
export type { RangeQuerier } from './query';

export interface RunnerOptions {
  detailPoints: number;
  staleAfterMs: number;
  maxPoints: number;
  predictionHorizonMs: number;
}

export interface RunnerDeps {
  watch: WatchConfig;
  querier: RangeQuerier;
  /** Where the watch reads from, for the API (a URL or grafana:<uid>). */
  source: string;
  repo: PipelineRepository;
  metrics: PipelineMetrics;
  listener: AnomalyListener;
  logger: Logger;
  clock: Clock;
  options: RunnerOptions;
  /** The targets this replica watches when replicas share the watches; absent: all of them. */
  ownership?: TargetOwnership;
}

/** Steps scored per chunk of a long catch-up: bounds memory and makes a crash lose at most one chunk. */
const CATCH_UP_CHUNK_STEPS = 2000;

/**
 * One watch: every step it fetches the new samples of its queries, scores every target, tracks
 * anomalies and predictions, and checkpoints it all in one transaction per chunk.
 */
export class WatchRunner {
  readonly targets = new Map<string, TargetModel>();
  readonly settings: TargetSettings;
  private lastProcessed: number | null = null;
  private degraded = false;
  private lastError: WatchStatus['lastError'] = null;
  private lastCycleAt: number | null = null;
  private lastCycleSeconds: number | null = null;
  private series = 0;
  /** Series each query matched in the last chunk scored, for the line logged after the first cycle. */
  private readonly seriesBySignal = new Map<string, number>();
  private matchReported = false;
  /** The tenth of learning last logged (-1: none yet). */
  private learningTenth = -1;
  private readonly peers: PeerGroups;
  /** Targets whose state changed since it was last stored. */
  private unsaved = new UnsavedStates();
  /** Whether the targets in memory are those of the store (false at first, and after a checkpoint failed). */
  private restored = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set once the watch was removed or replaced: nothing of it runs any more. */
  private retired = false;
  /** This replica's part of the watch when replicas share it (ownership.ts). */
  private readonly share?: WatchShare;

  constructor(private readonly deps: RunnerDeps) {
    const { watch, options } = deps;
    const historySteps = Math.floor(watch.history / watch.step);
    this.settings = {
      detector: watch.detector,
      stepMs: watch.step,
      probation: watch.probation ?? Math.min(750, Math.floor(0.15 * historySteps)),
      closeAfter: watch.closeAfter,
      horizonSteps: Math.max(1, Math.floor(options.predictionHorizonMs / watch.step)),
      detailPoints: options.detailPoints,
    };
    this.peers = new PeerGroups(watch.peers, Object.keys(watch.queries));
    if (deps.ownership) {
      this.share = new WatchShare(
        {
          watch,
          settings: this.settings,
          repo: deps.repo,
          metrics: deps.metrics,
          logger: deps.logger,
          maxStepsPerFetch: Math.min(CATCH_UP_CHUNK_STEPS, options.maxPoints),
          targets: this.targets,
          unsaved: this.unsaved,
          lastProcessed: () => this.lastProcessed,
          fetch: (from, to) => this.fetch(from, to),
          // The gap of a taken-over target is scored as the live loop scores it, scrape health included.
          score: async (results, from, to) =>
            this.score(
              results,
              from,
              to,
              await fetchScrapeHealth(deps.querier, watch, results, this.targets, from, to)
            ),
        },
        deps.ownership
      );
    }
  }

  get name(): string {
    return this.deps.watch.name;
  }

  get watch(): WatchConfig {
    return this.deps.watch;
  }

  get baseThreshold(): number {
    return baseThreshold(this.deps.watch);
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  /**
   * Restores the targets and the resume point from the store, unless they were learned under another
   * definition; after whatever this watch is doing. Rejects when the store cannot be read: the next
   * cycle tries again before it scores anything.
   */
  init(): Promise<void> {
    return this.exclusive(() => this.restore());
  }

  /** What is in memory is replaced by what the store holds: the last committed checkpoint. */
  private async restore(): Promise<void> {
    const { repo } = this.deps;
    this.restored = false;
    this.targets.clear();
    this.unsaved = new UnsavedStates();
    if (await repo.adoptDefinition(this.name, watchDefinition(this.deps.watch))) {
      this.deps.logger.info(
        { watch: this.name },
        'watch changed since its state was stored; replaying its history with fresh models'
      );
    }
    this.lastProcessed = await repo.lastProcessed(this.name);
    await this.peers.restore(() => repo.loadPeers(this.name), this.deps.logger, this.name);
    if (this.share) {
      // Shared: each target is taken up from the store once this replica owns it.
      this.restored = true;
      return;
    }
    const { targets, unreadable } = await repo.loadCheckpoint(this.name);
    for (const { id, error } of unreadable) {
      this.deps.logger.warn(
        { watch: this.name, target: id, err: error },
        'stored target state unreadable; relearning it'
      );
    }
    for (const stored of targets) {
      try {
        const model = TargetModel.fromState(
          stored.id,
          this.name,
          stored.labels,
          kubernetesObject(this.deps.watch, stored.labels),
          this.settings,
          stored.state
        );
        this.targets.set(stored.id, model);
      } catch (err) {
        // A state this build cannot read: the target starts learning again rather than stopping the watch.
        this.deps.logger.warn(
          { watch: this.name, target: stored.id, err: messageOf(err) },
          'stored target state unreadable; relearning it'
        );
      }
    }
    this.deps.metrics.targetsWatched.set({ watch: this.name }, this.targets.size);
    this.restored = true;
  }

  /** Runs fn after whatever this watch is doing (cycles and retraining never interleave). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Scores every step from the last processed one up to now (the whole history on first run). */
  cycle(): Promise<void> {
    return this.exclusive(() => this.runCycle());
  }

  private async runCycle(): Promise<void> {
    if (this.retired || (this.share && !this.share.settled())) {
      return;
    }
    if (!this.restored) {
      await this.restore();
    }
    const { watch, metrics, clock } = this.deps;
    const started = performance.now();
    const step = watch.step;
    const end = Math.floor((clock.now() - watch.lag) / step) * step;
    let from = this.lastProcessed === null ? Math.ceil((end - watch.history) / step) * step : this.lastProcessed + step;
    let scoringMs = 0;
    const scoredAny = from <= end;
    while (from <= end) {
      const to = Math.min(end, from + (Math.min(CATCH_UP_CHUNK_STEPS, this.deps.options.maxPoints) - 1) * step);
      const fetched = await this.fetch(from, to);
      const results = this.share ? await this.share.take(fetched, from) : fetched;
      const health = await fetchScrapeHealth(this.deps.querier, watch, results, this.targets, from, to);
      const t0 = performance.now();
      const touched = this.score(results, from, to, health);
      scoringMs += performance.now() - t0;
      this.unsaved.changed(touched, from);
      await this.checkpoint(touched, to, end);
      from = to + step;
    }
    if (this.degraded) {
      this.deps.logger.info({ watch: this.name }, 'watch recovered: queries answer again');
    }
    this.degraded = false;
    if (scoredAny && !this.matchReported) {
      this.matchReported = true;
      const { level, message } = describeMatch(watch, this.seriesBySignal, this.targets.size);
      this.deps.logger[level]({ watch: this.name, series: this.series }, message);
    }
    metrics.degraded.set({ watch: this.name }, 0);
    this.logLearning();
    this.lastCycleAt = clock.now();
    this.lastCycleSeconds = (performance.now() - started) / 1000;
    metrics.cycleDuration.observe({ watch: this.name }, this.lastCycleSeconds);
    metrics.scoringDuration.observe({ watch: this.name }, scoringMs / 1000);
  }

  private async fetch(from: number, to: number): Promise<Map<string, RangeSeries[]>> {
    try {
      return await fetchChunk(this.deps.querier, this.deps.watch, from, to);
    } catch (err) {
      if (err instanceof WatchQueryError) {
        this.markDegraded(err.error.kind, `query "${err.signal}" failed: ${err.error.message}`);
      }
      throw err;
    }
  }

  /** Logs how far learning is each time the slowest target passes another tenth. */
  private logLearning(): void {
    const line = describeLearning(this.name, this.targets.values(), this.learningTenth);
    if (line) {
      this.learningTenth = line.tenth;
      this.deps.logger.info({ watch: this.name, learningProgress: line.progress }, line.message);
    }
  }

  /** Marks the watch degraded (the loop keeps going; the next cycle resumes where this one stopped). */
  markDegraded(kind: NonNullable<WatchStatus['lastError']>['kind'], message: string): void {
    if (!this.degraded) {
      this.deps.logger.warn({ watch: this.name, kind }, `watch degraded: ${message}`);
    }
    this.degraded = true;
    this.lastError = { kind, message, at: this.deps.clock.now() };
    this.deps.metrics.degraded.set({ watch: this.name }, 1);
    this.deps.metrics.queryErrors.inc({ watch: this.name, kind });
  }

  /** Scores the steps [from, to] of the fetched series; returns the targets that had samples. */
  private score(
    results: Map<string, RangeSeries[]>,
    from: number,
    to: number,
    health: ScrapeHealth | null
  ): TargetModel[] {
    const { watch } = this.deps;
    const chunk = alignChunk(watch, results, this.targets, this.settings, this.baseThreshold);
    for (const [signal, n] of chunk.seriesBySignal) {
      this.seriesBySignal.set(signal, n);
    }
    this.series = chunk.series;
    this.deps.metrics.seriesWatched.set({ watch: this.name }, chunk.series);
    const aligned = [...chunk.targets.values()];
    const peerGroups = this.peers.of(aligned);
    // Targets gone from the answer are stepped too: a target whose series vanish is a fault (vanished.ts).
    const all = [...aligned, ...chunk.absent];
    for (let t = from; t <= to; t += watch.step) {
      alignStep(all, t);
      const peerScores = this.peers.score(peerGroups);
      const absences = absencesAt(watch, all, health, t);
      for (const a of all) {
        a.target.step(t, a.values, peerScores.get(a.target.id), absences.get(a.target.id));
      }
    }
    // An absent target that was not scored (removed on purpose, or a detector that ignores gaps) did not change.
    return all.filter((a) => a.cursors.length > 0 || a.target.seenAt >= from).map((a) => a.target);
  }

  /**
   * Stores one chunk: target states, anomalies, predictions, the resume point; then tells listeners.
   * When the store refuses, nothing of the chunk was written and what is in memory is ahead of it:
   * the next cycle restores the last committed checkpoint and scores again from there.
   */
  private async checkpoint(touched: TargetModel[], to: number, end: number): Promise<void> {
    const { repo, metrics, watch } = this.deps;
    const changes = gatherChanges(touched, this.targets.values(), to - this.deps.options.staleAfterMs);
    const forgotten = new Set(changes.forgotten);
    this.peers.forget(new Set(changes.forgotten.map((t) => t.id)));
    this.unsaved.saved(forgotten);
    const must = changes.episodic;
    const stored = await this.committing(async () => {
      if (to === end) {
        for (const t of await recordInitialModels(this.training(), touched)) {
          must.add(t);
        }
      }
      // Peer detectors cannot tell a replayed step from a new one, and a catch-up chunk is long to
      // replay: both store every changed target.
      const writing = this.unsaved.due(must, watch.peers !== undefined || to !== end);
      const committed = await repo.commitCycle({
        watch: watch.name,
        lastProcessed: this.unsaved.storedThrough(to, watch.step, new Set(writing)),
        targets: storedTargets(writing),
        anomalies: changes.anomalies,
        predictions: changes.predictions,
        forgotten: changes.forgotten.map((t) => t.id),
        peers: this.peers.toStore(),
        // Replicas sharing the watches list every target from the store: the last chunk's are written.
        summaries: to === end ? this.share?.summaries(touched) : undefined,
      });
      this.unsaved.saved(writing);
      return committed;
    });
    this.lastProcessed = to;
    // Before the forgotten go: their closed anomalies are announced with them.
    announce(this.deps, stored, changes.fresh, end, this.targets);
    for (const t of forgotten) {
      this.targets.delete(t.id);
    }
    publishTargetMetrics(metrics, watch.name, touched, changes.forgotten);
    metrics.targetsWatched.set({ watch: watch.name }, this.targets.size);
    metrics.lastProcessed.set({ watch: watch.name }, to / 1000);
  }

  /**
   * Runs a write of what is in memory; when it fails, what is in memory is ahead of the store, so
   * the next cycle restores the last committed checkpoint first.
   */
  private async committing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      this.restored = false;
      throw err;
    }
  }

  private training(): TrainingDeps {
    return {
      watch: this.deps.watch,
      repo: this.deps.repo,
      settings: this.settings,
      clock: this.deps.clock,
      maxPoints: this.deps.options.maxPoints,
      fetch: (from, to) => this.fetch(from, to),
    };
  }

  /**
   * Retrains the selected targets on the watch's history (up to the last processed step), leaving
   * out windows confirmed as incidents and raising the threshold of targets with repeated false
   * positives. A target's new model replaces the old one only if it trained without error.
   */
  retrain(
    select: (targetId: string) => boolean,
    reason: ModelVersion['reason']
  ): Promise<{ trained: number; failed: Array<{ target: string; error: string }> }> {
    return this.exclusive(() => this.runRetrain(select, reason));
  }

  private async runRetrain(
    select: (targetId: string) => boolean,
    reason: ModelVersion['reason']
  ): Promise<{ trained: number; failed: Array<{ target: string; error: string }> }> {
    const chosen = [...this.targets.values()].filter((t) => select(t.id));
    if (this.retired || !this.restored || this.lastProcessed === null || chosen.length === 0) {
      return { trained: 0, failed: [] };
    }
    const end = this.lastProcessed;
    return this.committing(async () => {
      const { trained, failed, retrained } = await retrainTargets(this.training(), chosen, end, reason);
      await this.deps.repo.commitCycle({
        watch: this.name,
        lastProcessed: this.unsaved.storedThrough(end, this.settings.stepMs, new Set(retrained)),
        targets: storedTargets(retrained),
        anomalies: [],
        predictions: [],
        forgotten: [],
      });
      this.unsaved.saved(retrained);
      return { trained, failed };
    });
  }

  /** Stores every target state not yet stored (before the store closes), after the cycle in flight. */
  flush(): Promise<void> {
    return this.exclusive(async () => {
      const { lastProcessed } = this;
      // Not restored: what is in memory is ahead of the store and must not be written.
      if (this.retired || !this.restored || lastProcessed === null || this.unsaved.size === 0) {
        return;
      }
      const writing = this.unsaved.due(new Set(), true);
      await this.committing(() =>
        this.deps.repo.commitCycle({
          watch: this.name,
          lastProcessed,
          targets: storedTargets(writing),
          anomalies: [],
          predictions: [],
          forgotten: [],
        })
      );
      this.unsaved.saved(writing);
    });
  }

  /**
   * Stops this watch for good, after the cycle or retraining in flight: its open anomalies close
   * (as when a target disappears; listeners hear of it), its targets' state stays stored (so the
   * same watch added again resumes where it stopped) and its metrics go.
   */
  retire(): Promise<void> {
    return this.exclusive(async () => {
      this.retired = true;
      const { repo, metrics, watch } = this.deps;
      const anomalies: AnomalyRecord[] = [];
      for (const t of this.targets.values()) {
        t.close();
        anomalies.push(...t.takeChanges().anomalies);
      }
      if (this.restored && this.lastProcessed !== null) {
        try {
          const stored = await repo.commitCycle({
            watch: watch.name,
            lastProcessed: this.lastProcessed,
            targets: storedTargets(this.targets.values()),
            anomalies,
            predictions: [],
            forgotten: [],
          });
          announce(this.deps, stored, new Set(), this.lastProcessed, this.targets);
        } catch (err) {
          // The store keeps the last committed cycle: the same watch added again resumes from it.
          this.deps.logger.error({ watch: watch.name, err }, 'watch removed without storing its last cycle');
        }
      }
      publishTargetMetrics(metrics, watch.name, [], [...this.targets.values()]);
      for (const gauge of [
        metrics.targetsWatched,
        metrics.seriesWatched,
        metrics.degraded,
        metrics.lastProcessed,
        metrics.targetsUnexported,
      ]) {
        gauge.remove({ watch: watch.name });
      }
      this.targets.clear();
    });
  }

  status(): WatchStatus {
    const { watch } = this.deps;
    return {
      ...watchIdentity(watch),
      source: this.deps.source,
      targets: this.targets.size,
      series: this.series,
      degraded: this.degraded,
      lastError: this.lastError,
      lastProcessedAt: this.lastProcessed,
      lastCycleAt: this.lastCycleAt,
      lastCycleSeconds: this.lastCycleSeconds,
    };
  }
}
