import type { Logger } from 'pino';
import { PeerGroupDetector, RECOMMENDED_THRESHOLD } from '../../detection';
import { aboutDuration, type Anomaly, type ModelVersion, type WatchStatus } from '../../contract/pipeline';
import type { WatchConfig } from '../config/schema';
import type { RangeQuery } from '../prometheus/client';
import { labelKey } from '../prometheus/resilient';
import { PrometheusError, type RangeSeries } from '../prometheus/types';
import type { AnomalyListener } from './listener';
import type { PipelineMetrics } from './metrics';
import type { PipelineRepository, StoredPeers, StoredTarget } from './store/repository';
import { freshModels, TargetModel, type AnomalyRecord, type TargetSettings } from './targetModel';
import { describeMatch } from './matchReport';
import { kubernetesObject, signalKind, signalLimits, targetId, targetLabels } from './targets';

export interface RangeQuerier {
  queryRange(q: RangeQuery): Promise<RangeSeries[]>;
}

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
  now: () => number;
  options: RunnerOptions;
}

/** Steps scored per chunk of a long catch-up: bounds memory and makes a crash lose at most one chunk. */
const CATCH_UP_CHUNK_STEPS = 2000;
/** Repeated false positives raise a target's threshold by this much each, up to MAX_THRESHOLD. */
const FALSE_POSITIVE_STEP = 0.05;
const MAX_THRESHOLD = 0.9;
/** Peer groups are often 3-4 replicas, whose spread at one step says little: average it over ~50 steps. */
const PEER_SCALE_SMOOTHING = 0.02;

interface SeriesCursor {
  signal: number;
  timestamps: Float64Array;
  values: Float64Array;
  i: number;
}

interface Group {
  target: TargetModel;
  cursors: SeriesCursor[];
  values: Float64Array;
}

/** Thrown by a cycle when a query failed after its retries: the watch is degraded, the others go on. */
export class WatchQueryError extends Error {
  constructor(
    readonly watch: string,
    readonly error: PrometheusError
  ) {
    super(`watch ${watch}: ${error.message}`);
    this.name = 'WatchQueryError';
  }
}

/** What identifies a watch's definition: any difference means its learned state no longer applies. */
export function watchDefinition(watch: WatchConfig): string {
  return JSON.stringify(watch);
}

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
  /** Per peer group and signal: its members' target ids in order and its detector. */
  private readonly peers = new Map<string, { members: string[]; detector: PeerGroupDetector }>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Set once the watch was removed or replaced: nothing of it runs any more. */
  private retired = false;

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
  }

  get name(): string {
    return this.deps.watch.name;
  }

  get watch(): WatchConfig {
    return this.deps.watch;
  }

  get baseThreshold(): number {
    return this.deps.watch.threshold ?? RECOMMENDED_THRESHOLD;
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  /** Restores the targets and the resume point from the store, unless they were learned under another definition. */
  init(): void {
    if (this.deps.repo.adoptDefinition(this.name, watchDefinition(this.deps.watch))) {
      this.deps.logger.info(
        { watch: this.name },
        'watch changed since its state was stored; replaying its history with fresh models'
      );
    }
    this.lastProcessed = this.deps.repo.lastProcessed(this.name);
    this.restorePeers();
    for (const stored of this.deps.repo.loadTargets(this.name)) {
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
          { watch: this.name, target: stored.id, err: (err as Error).message },
          'stored target state unreadable; relearning it'
        );
      }
    }
    this.deps.metrics.targetsWatched.set({ watch: this.name }, this.targets.size);
  }

  private restorePeers(): void {
    let stored: StoredPeers;
    try {
      stored = this.deps.repo.loadPeers(this.name);
    } catch (err) {
      this.deps.logger.warn(
        { watch: this.name, err: (err as Error).message },
        'stored peer groups unreadable; relearning them'
      );
      return;
    }
    for (const [key, { members, state }] of Object.entries(stored)) {
      try {
        if (!Array.isArray(members) || !members.every((id) => typeof id === 'string')) {
          throw new Error('its members are not a list of target ids');
        }
        this.peers.set(key, { members, detector: PeerGroupDetector.fromState(state) });
      } catch (err) {
        this.deps.logger.warn(
          { watch: this.name, group: key, err: (err as Error).message },
          'stored peer group unreadable; relearning it'
        );
      }
    }
  }

  /** Drops the peer groups a forgotten target belonged to: a group without it starts afresh anyway. */
  private forgetPeerGroupsOf(forgotten: TargetModel[]): void {
    if (forgotten.length === 0 || this.peers.size === 0) {
      return;
    }
    const gone = new Set(forgotten.map((t) => t.id));
    for (const [key, { members }] of this.peers) {
      if (members.some((id) => gone.has(id))) {
        this.peers.delete(key);
      }
    }
  }

  /** The peer groups to checkpoint, or undefined for a watch without peers (the stored value stays). */
  private peersToStore(): StoredPeers | undefined {
    if (!this.deps.watch.peers) {
      return undefined;
    }
    return Object.fromEntries(
      [...this.peers].map(([key, { members, detector }]) => [key, { members, state: detector.toState() }])
    );
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
    if (this.retired) {
      return;
    }
    const { watch, metrics, now } = this.deps;
    const started = performance.now();
    const step = watch.step;
    const end = Math.floor((now() - watch.lag) / step) * step;
    let from = this.lastProcessed === null ? Math.ceil((end - watch.history) / step) * step : this.lastProcessed + step;
    let scoringMs = 0;
    const scoredAny = from <= end;
    while (from <= end) {
      const to = Math.min(end, from + (Math.min(CATCH_UP_CHUNK_STEPS, this.deps.options.maxPoints) - 1) * step);
      const results = await this.fetch(from, to);
      const t0 = performance.now();
      const touched = this.score(results, from, to);
      scoringMs += performance.now() - t0;
      this.checkpoint(touched, to, end);
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
    this.lastCycleAt = now();
    this.lastCycleSeconds = (performance.now() - started) / 1000;
    metrics.cycleDuration.observe({ watch: this.name }, this.lastCycleSeconds);
    metrics.scoringDuration.observe({ watch: this.name }, scoringMs / 1000);
  }

  private async fetch(from: number, to: number): Promise<Map<string, RangeSeries[]>> {
    const results = new Map<string, RangeSeries[]>();
    for (const [signal, query] of Object.entries(this.deps.watch.queries)) {
      try {
        results.set(
          signal,
          await this.deps.querier.queryRange({ query, start: from, end: to, stepMs: this.deps.watch.step })
        );
      } catch (err) {
        const error = err instanceof PrometheusError ? err : new PrometheusError('malformed', (err as Error).message);
        this.markDegraded(error.kind, `query "${signal}" failed: ${error.message}`);
        throw new WatchQueryError(this.name, error);
      }
    }
    return results;
  }

  /**
   * One line per watch while its targets learn, each time the slowest one passes another tenth
   * ("watch node-memory: 12 targets, learning 40%, about 7 h left"), and one when all are ready.
   */
  private logLearning(): void {
    if (this.targets.size === 0) {
      return;
    }
    let slowest: TargetModel | null = null;
    for (const t of this.targets.values()) {
      if (slowest === null || t.learningProgress < slowest.learningProgress) {
        slowest = t;
      }
    }
    const tenth = Math.floor(10 * slowest!.learningProgress);
    if (tenth === this.learningTenth) {
      return;
    }
    this.learningTenth = tenth;
    const count = `${this.targets.size} target${this.targets.size === 1 ? '' : 's'}`;
    this.deps.logger.info(
      { watch: this.name, learningProgress: slowest!.learningProgress },
      tenth >= 10
        ? `watch ${this.name}: ${count}, learned: anomalies and forecasts are on`
        : `watch ${this.name}: ${count}, learning ${Math.floor(100 * slowest!.learningProgress)}%, ${aboutDuration(slowest!.learningSecondsLeft)} left`
    );
  }

  /** Marks the watch degraded (the loop keeps going; the next cycle resumes where this one stopped). */
  markDegraded(kind: NonNullable<WatchStatus['lastError']>['kind'], message: string): void {
    if (!this.degraded) {
      this.deps.logger.warn({ watch: this.name, kind }, `watch degraded: ${message}`);
    }
    this.degraded = true;
    this.lastError = { kind, message, at: this.deps.now() };
    this.deps.metrics.degraded.set({ watch: this.name }, 1);
    this.deps.metrics.queryErrors.inc({ watch: this.name, kind });
  }

  /** Scores the steps [from, to] of the fetched series; returns the targets that had samples. */
  private score(results: Map<string, RangeSeries[]>, from: number, to: number): TargetModel[] {
    const { watch } = this.deps;
    const groups = new Map<string, Group>();
    let series = 0;
    for (const [signal, list] of results) {
      this.seriesBySignal.set(signal, list.filter((s) => s.timestamps.length > 0).length);
      for (const s of list) {
        if (s.timestamps.length === 0) {
          continue;
        }
        series++;
        const labels = targetLabels(watch, s.labels);
        const id = targetId(watch.name, labels);
        let group = groups.get(id);
        if (!group) {
          let target = this.targets.get(id);
          if (!target) {
            target = new TargetModel(
              id,
              watch.name,
              labels,
              kubernetesObject(watch, labels),
              this.settings,
              this.baseThreshold
            );
            this.targets.set(id, target);
          }
          group = { target, cursors: [], values: new Float64Array(0) };
          groups.set(id, group);
        }
        // Several series of one query for one target (e.g. per container) become separate signals.
        const taken = group.cursors.some((c) => group!.target.signals[c.signal].spec.name === signal);
        const name = taken ? `${signal}{${labelKey(extraLabels(s.labels, watch.target))}}` : signal;
        const index = group.target.signalIndex({
          name,
          kind: signalKind(watch, signal),
          limits: signalLimits(watch, signal),
        });
        group.cursors.push({ signal: index, timestamps: s.timestamps, values: s.values, i: 0 });
      }
    }
    this.series = series;
    this.deps.metrics.seriesWatched.set({ watch: this.name }, series);
    for (const g of groups.values()) {
      g.values = new Float64Array(g.target.signals.length);
    }
    const peerGroups = this.peerGroups(groups);
    for (let t = from; t <= to; t += watch.step) {
      for (const g of groups.values()) {
        g.values.fill(NaN);
        for (const c of g.cursors) {
          while (c.i < c.timestamps.length && c.timestamps[c.i] < t) {
            c.i++;
          }
          if (c.i < c.timestamps.length && c.timestamps[c.i] === t) {
            g.values[c.signal] = c.values[c.i];
          }
        }
      }
      const peerScores = this.scorePeers(peerGroups);
      for (const g of groups.values()) {
        g.target.step(t, g.values, peerScores.get(g.target.id));
      }
    }
    return [...groups.values()].map((g) => g.target);
  }

  /** Targets of this chunk grouped by the watch's peer labels (groups of 3 or more can tell an outlier). */
  private peerGroups(groups: Map<string, Group>): Array<{ key: string; members: Group[] }> {
    const peers = this.deps.watch.peers;
    if (!peers) {
      return [];
    }
    const byKey = new Map<string, Group[]>();
    for (const g of groups.values()) {
      const key = peers.map((l) => `${l}=${g.target.labels[l] ?? ''}`).join(',');
      byKey.set(key, [...(byKey.get(key) ?? []), g]);
    }
    return [...byKey.entries()]
      .filter(([, m]) => m.length >= 3)
      .map(([key, members]) => ({ key, members: members.sort((a, b) => a.target.id.localeCompare(b.target.id)) }));
  }

  private scorePeers(
    peerGroups: Array<{ key: string; members: Group[] }>
  ): Map<string, { score: number; signal: string }> {
    const out = new Map<string, { score: number; signal: string }>();
    for (const { key, members } of peerGroups) {
      for (const signal of Object.keys(this.deps.watch.queries)) {
        const memberIds = members.map((m) => m.target.id);
        const detectorKey = `${key}/${signal}`;
        let entry = this.peers.get(detectorKey);
        if (!entry || entry.members.length !== memberIds.length || entry.members.some((id, i) => id !== memberIds[i])) {
          entry = {
            members: memberIds,
            detector: new PeerGroupDetector(members.length, { scaleSmoothing: PEER_SCALE_SMOOTHING }),
          };
          this.peers.set(detectorKey, entry);
        }
        const values = members.map((m) => {
          const i = m.target.signals.findIndex((s) => s.spec.name === signal);
          return i >= 0 ? m.values[i] : NaN;
        });
        const scores = entry.detector.update(values);
        members.forEach((m, i) => {
          const prev = out.get(m.target.id);
          if (!prev || scores[i] > prev.score) {
            out.set(m.target.id, { score: scores[i], signal });
          }
        });
      }
    }
    return out;
  }

  /** Stores one chunk: target states, anomalies, predictions, the resume point; then tells listeners. */
  private checkpoint(touched: TargetModel[], to: number, end: number): void {
    const { repo, metrics, watch } = this.deps;
    const anomalies: AnomalyRecord[] = [];
    const fresh = new Set<AnomalyRecord>();
    const predictions = [];
    for (const t of touched) {
      anomalies.push(...t.closed);
      if (t.open && t.openDirty) {
        anomalies.push(t.open);
      }
      predictions.push(...t.predictions);
      t.closed = [];
      t.predictions = [];
    }
    for (const a of anomalies) {
      if (a.id === undefined) {
        fresh.add(a);
      }
    }
    const forgotten: TargetModel[] = [];
    for (const target of this.targets.values()) {
      if (!(target.lastAt >= to - this.deps.options.staleAfterMs)) {
        target.close();
        anomalies.push(...target.closed);
        target.closed = [];
        forgotten.push(target);
      }
    }
    this.forgetPeerGroupsOf(forgotten);
    if (to === end) {
      this.recordInitialModels(touched);
    }
    const stored = repo.commitCycle({
      watch: watch.name,
      lastProcessed: to,
      targets: touched
        .filter((t) => !forgotten.includes(t))
        .map((t): StoredTarget => ({ id: t.id, watch: t.watch, labels: t.labels, state: t.toState() })),
      anomalies,
      predictions,
      forgotten: forgotten.map((t) => t.id),
      peers: this.peersToStore(),
    });
    this.lastProcessed = to;
    for (const t of touched) {
      t.openDirty = false;
      metrics.score.set({ watch: watch.name, target: t.id }, t.score);
      metrics.anomaliesOpen.set({ watch: watch.name, target: t.id }, t.open ? 1 : 0);
      metrics.learningProgress.set({ watch: watch.name, target: t.id }, t.learningProgress);
      for (const s of t.signals) {
        if (s.ttf) {
          metrics.timeToFailure.set({ watch: watch.name, target: t.id, signal: s.spec.name }, s.ttf.seconds);
        } else if (s.forecaster) {
          metrics.timeToFailure.remove({ watch: watch.name, target: t.id, signal: s.spec.name });
        }
      }
    }
    for (const t of forgotten) {
      this.targets.delete(t.id);
      metrics.forget(
        watch.name,
        t.id,
        t.signals.map((s) => s.spec.name)
      );
    }
    metrics.targetsWatched.set({ watch: watch.name }, this.targets.size);
    metrics.lastProcessed.set({ watch: watch.name }, to / 1000);
    this.announce(stored, fresh, end);
  }

  /** Tells listeners about anomalies that are still current; a replayed past is stored, not acted on. */
  private announce(stored: AnomalyRecord[], fresh: Set<AnomalyRecord>, end: number): void {
    // Closing comes closeAfter quiet steps after the end, so a just-closed anomaly is still current.
    const liveSince = end - (this.deps.watch.closeAfter + 2) * this.deps.watch.step;
    for (const a of stored) {
      if (fresh.has(a)) {
        this.deps.metrics.anomaliesOpened.inc({ watch: this.name, severity: a.severity });
      }
      if (a.end < liveSince) {
        continue;
      }
      const anomaly = this.deps.repo.anomaly(a.id!) as Anomaly;
      try {
        if (fresh.has(a)) {
          this.deps.listener.opened(anomaly);
        } else if (a.state === 'open') {
          this.deps.listener.updated(anomaly);
        }
        if (a.state === 'closed') {
          this.deps.listener.closed(anomaly);
        }
      } catch (err) {
        this.deps.logger.error({ watch: this.name, anomaly: a.id, err }, 'an anomaly listener failed');
      }
    }
  }

  private recordInitialModels(touched: TargetModel[]): void {
    for (const t of touched) {
      if (t.modelVersion === 0 && t.samples > 0) {
        t.modelVersion = this.deps.repo.addModel({
          watch: this.name,
          targetId: t.id,
          status: 'active',
          reason: 'initial',
          trainedAt: this.deps.now(),
          rangeStart: t.firstAt,
          rangeEnd: t.lastAt,
          samples: t.samples,
          params: this.params([]),
          threshold: t.threshold,
          feedback: { falsePositive: 0, confirmed: 0 },
        });
      }
    }
  }

  private params(excluded: Array<[number, number]>): Record<string, unknown> {
    return {
      detector: this.settings.detector,
      probationSteps: this.settings.probation,
      closeAfterSteps: this.settings.closeAfter,
      stepMs: this.settings.stepMs,
      forecaster: { method: 'holt-winters', horizonSteps: this.settings.horizonSteps, limits: this.deps.watch.limits },
      excludedWindows: excluded,
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

  private async runRetrain(select: (targetId: string) => boolean, reason: ModelVersion['reason']) {
    const { watch, repo, now } = this.deps;
    const chosen = [...this.targets.values()].filter((t) => select(t.id));
    const failed: Array<{ target: string; error: string }> = [];
    if (this.retired || this.lastProcessed === null || chosen.length === 0) {
      return { trained: 0, failed };
    }
    const end = this.lastProcessed;
    const start = Math.ceil((end - watch.history) / watch.step) * watch.step;
    const margin = watch.closeAfter * watch.step;
    const plans = new Map(
      chosen.map((t) => {
        const labelled = repo.labelledWindows(t.id);
        const excluded = labelled.confirmed.map(([a, b]): [number, number] => [a - margin, b + margin]);
        const fp = labelled.falsePositive.length;
        const threshold =
          fp >= 2 ? Math.min(MAX_THRESHOLD, this.baseThreshold + FALSE_POSITIVE_STEP * (fp - 1)) : this.baseThreshold;
        const models = t.signals.map((s) => ({ name: s.spec.name, ...freshModels(s.spec, this.settings, threshold) }));
        return [
          t.id,
          {
            target: t,
            excluded,
            threshold,
            models,
            samples: 0,
            first: NaN,
            last: NaN,
            error: undefined as string | undefined,
            feedback: { falsePositive: fp, confirmed: labelled.confirmed.length },
          },
        ];
      })
    );
    for (let from = start; from <= end; from += this.deps.options.maxPoints * watch.step) {
      const to = Math.min(end, from + (this.deps.options.maxPoints - 1) * watch.step);
      const results = await this.fetch(from, to);
      for (const [signal, list] of results) {
        for (const s of list) {
          const plan = plans.get(targetId(watch.name, targetLabels(watch, s.labels)));
          const model = plan?.models.find((m) => m.name === signal);
          if (!plan || !model || plan.error) {
            continue;
          }
          try {
            for (let i = 0; i < s.timestamps.length; i++) {
              const t = s.timestamps[i];
              if (!Number.isFinite(s.values[i]) || plan.excluded.some(([a, b]) => t >= a && t <= b)) {
                continue;
              }
              model.detector.update(t, s.values[i]);
              model.forecaster?.update(t, s.values[i]);
              plan.samples++;
              plan.first = Number.isNaN(plan.first) ? t : Math.min(plan.first, t);
              plan.last = Number.isNaN(plan.last) ? t : Math.max(plan.last, t);
            }
          } catch (err) {
            plan.error = (err as Error).message;
          }
        }
      }
    }
    let trained = 0;
    const states: StoredTarget[] = [];
    for (const plan of plans.values()) {
      const error = plan.error ?? (plan.samples === 0 ? 'no samples in the history range' : undefined);
      const version = repo.addModel({
        watch: this.name,
        targetId: plan.target.id,
        status: error ? 'failed' : 'active',
        error,
        reason,
        trainedAt: now(),
        rangeStart: Number.isNaN(plan.first) ? start : plan.first,
        rangeEnd: Number.isNaN(plan.last) ? end : plan.last,
        samples: plan.samples,
        params: this.params(plan.excluded),
        threshold: plan.threshold,
        feedback: plan.feedback,
      });
      if (error) {
        failed.push({ target: plan.target.id, error });
        continue;
      }
      plan.target.replaceModels(plan.models, plan.threshold, version);
      states.push({ id: plan.target.id, watch: this.name, labels: plan.target.labels, state: plan.target.toState() });
      trained++;
    }
    repo.commitCycle({
      watch: this.name,
      lastProcessed: end,
      targets: states,
      anomalies: [],
      predictions: [],
      forgotten: [],
    });
    return { trained, failed };
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
        anomalies.push(...t.closed);
        t.closed = [];
      }
      if (this.lastProcessed !== null) {
        const stored = repo.commitCycle({
          watch: watch.name,
          lastProcessed: this.lastProcessed,
          targets: [...this.targets.values()].map((t): StoredTarget => ({
            id: t.id,
            watch: t.watch,
            labels: t.labels,
            state: t.toState(),
          })),
          anomalies,
          predictions: [],
          forgotten: [],
        });
        this.announce(stored, new Set(), this.lastProcessed);
      }
      for (const t of this.targets.values()) {
        metrics.forget(
          watch.name,
          t.id,
          t.signals.map((s) => s.spec.name)
        );
      }
      for (const gauge of [metrics.targetsWatched, metrics.seriesWatched, metrics.degraded, metrics.lastProcessed]) {
        gauge.remove({ watch: watch.name });
      }
      this.targets.clear();
    });
  }

  status(): WatchStatus {
    const { watch } = this.deps;
    return {
      name: watch.name,
      queries: watch.queries,
      targetLabels: watch.target,
      stepSeconds: watch.step / 1000,
      historySeconds: watch.history / 1000,
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

function extraLabels(labels: Record<string, string>, targetLabelNames: string[]): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (!targetLabelNames.includes(k)) {
      extra[k] = v;
    }
  }
  return extra;
}
