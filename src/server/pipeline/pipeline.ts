import type Database from 'better-sqlite3';
import { Cron } from 'croner';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type {
  Anomaly,
  AnomaliesQuery,
  FeedbackKind,
  FeedbackSource,
  ModelsQuery,
  ModelVersion,
  PredictionsQuery,
  PredictResponse,
  RetrainBody,
  Target,
  TargetDetail,
  TargetsQuery,
  WatchStatus,
} from '../../contract/pipeline';
import type { Config, WatchConfig } from '../config/schema';
import { PrometheusClient } from '../prometheus/client';
import { PrometheusError } from '../prometheus/types';
import { grafanaDataSourceClient } from '../prometheus/grafana';
import { ResilientRangeQuerier } from '../prometheus/resilient';
import { GrafanaAnnotator } from './annotations';
import { DEFAULT_WATCHES } from './defaultWatches';
import { ListenerSet, type AnomalyListener } from './listener';
import { PipelineMetrics } from './metrics';
import { CursorError, decodeCursor, encodeCursor } from './store/cursor';
import { PipelineRepository } from './store/repository';
import type { TargetModel } from './targetModel';
import { watchDefinition, WatchQueryError, type RangeQuerier } from './query';
import { WatchRunner } from './watchRunner';

export interface PipelineDeps {
  config: Pick<Config, 'watches' | 'pipeline' | 'grafana' | 'prometheus'>;
  /** The watches to run at start: the store's when an admin saved some (WatchSettings); default the config's, else the defaults. */
  watches?: WatchConfig[];
  db: Database.Database;
  logger: Logger;
  metrics: Registry;
  now?: () => number;
  /** Overrides how a watch reaches its data (tests); default from the watch's source. */
  querierFor?: (watch: WatchConfig) => RangeQuerier;
  /** Waits between retries; default real time. Tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

/** A targets page cursor: the watch and id of the page's last target. */
const targetKeySchema = z.tuple([z.string(), z.string()]);

/** Longest a query check of a watch being saved may take. */
const QUERY_CHECK_TIMEOUT_MS = 10_000;

/** Why a pipeline request was refused, in words for the operator. */
export class PipelineError extends Error {
  constructor(
    readonly kind: 'not_found' | 'invalid',
    message: string
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}

/**
 * The watch loop: one runner per watch, run every step; retraining on a cron and on demand;
 * feedback; and the read side the API serves. Errors of one watch never stop the others.
 */
export class Pipeline {
  readonly repo: PipelineRepository;
  readonly listeners: ListenerSet;
  readonly annotator?: GrafanaAnnotator;
  private runners: WatchRunner[] = [];
  /** Watches whose source is not configured, with why: listed by the API so the list matches the log. */
  private off: Array<{ watch: WatchConfig; reason: string; since: number }> = [];
  private readonly metrics: PipelineMetrics;
  private readonly now: () => number;
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private cron?: Cron;
  private running?: Promise<void>;
  private started = false;
  private ticking = false;
  private stopped = false;
  private readonly due = new WeakMap<WatchRunner, number>();
  private reloads: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PipelineDeps) {
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger.child({ part: 'pipeline' });
    this.repo = new PipelineRepository(deps.db, this.now);
    this.listeners = new ListenerSet((err, event) => this.logger.error({ err, event }, 'an anomaly listener failed'));
    this.metrics = new PipelineMetrics(deps.metrics, deps.config.pipeline.maxTargetSeries);
    const { grafana } = deps.config;
    if (grafana.url && grafana.token) {
      this.annotator = new GrafanaAnnotator({
        grafanaUrl: grafana.url,
        token: grafana.token,
        repo: this.repo,
        logger: this.logger,
        fetch: deps.fetch,
      });
      this.listeners.add(this.annotator);
    }
    for (const watch of deps.watches ?? deps.config.watches ?? DEFAULT_WATCHES) {
      const runner = this.runnerFor(watch);
      if (runner) {
        this.runners.push(runner);
      }
    }
  }

  /** A runner for a watch; undefined (with a warning) when its source is not configured. */
  private runnerFor(watch: WatchConfig): WatchRunner | undefined {
    const reach = this.reach(watch, {
      retries: this.deps.config.pipeline.retries,
      timeoutMs: this.deps.config.prometheus.timeout,
    });
    if (typeof reach === 'string') {
      this.logger.warn({ watch: watch.name }, `watch ${watch.name} ${reach}; the watch is off until then`);
      this.off.push({ watch, reason: `the watch is off: it ${reach}`, since: this.now() });
      return undefined;
    }
    const { pipeline } = this.deps.config;
    return new WatchRunner({
      watch,
      querier: reach.querier,
      source: reach.source,
      repo: this.repo,
      metrics: this.metrics,
      listener: this.listeners,
      logger: this.logger,
      now: this.now,
      options: {
        detailPoints: pipeline.detailPoints,
        staleAfterMs: pipeline.staleAfter,
        maxPoints: pipeline.maxPointsPerQuery,
        predictionHorizonMs: pipeline.predictionHorizon,
      },
    });
  }

  /** How a watch reaches its data, or why it cannot (its source is not configured). */
  private reach(
    watch: WatchConfig,
    { retries, timeoutMs }: { retries: number; timeoutMs: number }
  ): { querier: RangeQuerier; source: string } | string {
    if (this.deps.querierFor) {
      return { querier: this.deps.querierFor(watch), source: 'injected' };
    }
    const { prometheus, grafana, pipeline } = this.deps.config;
    const resilient = (client: PrometheusClient) =>
      new ResilientRangeQuerier(client, { maxPoints: pipeline.maxPointsPerQuery, retries, sleep: this.deps.sleep });
    if (watch.source && 'grafana' in watch.source) {
      if (!grafana.url || !grafana.token) {
        return `reads Grafana data source ${watch.source.grafana}: set FP_GRAFANA_URL and FP_GRAFANA_TOKEN`;
      }
      const client = grafanaDataSourceClient({
        grafanaUrl: grafana.url,
        token: grafana.token,
        uid: watch.source.grafana,
        timeoutMs,
        maxResponseBytes: prometheus.maxResponseBytes,
        fetch: this.deps.fetch,
      });
      return { querier: resilient(client), source: `grafana:${watch.source.grafana}` };
    }
    const url = watch.source?.prometheus ?? prometheus.url;
    if (!url) {
      return "has no data source: set FP_PROMETHEUS_URL or the watch's source";
    }
    const client = new PrometheusClient({
      baseUrl: url,
      timeoutMs,
      maxResponseBytes: prometheus.maxResponseBytes,
      fetch: this.deps.fetch,
    });
    return { querier: resilient(client), source: client.url };
  }

  /** Restores every watch from the store. */
  init(): void {
    for (const r of this.runners) {
      r.init();
    }
  }

  addListener(listener: AnomalyListener): void {
    this.listeners.add(listener);
  }

  /** One cycle of every watch, concurrently; a failing watch is marked degraded and the others go on. */
  async runOnce(): Promise<void> {
    await Promise.all(this.runners.map((r) => this.runWatch(r)));
  }

  private async runWatch(r: WatchRunner): Promise<void> {
    try {
      await r.cycle();
    } catch (err) {
      if (!(err instanceof WatchQueryError)) {
        r.markDegraded('internal', (err as Error).message);
        this.logger.error({ watch: r.name, err }, 'watch cycle failed');
      }
    }
  }

  /** Runs each watch every step (and catches up at once), and retrains on the configured cron. */
  start(): void {
    this.started = true;
    this.tick();
    this.cron = new Cron(this.deps.config.pipeline.retrain, { protect: true }, async () => {
      const result = await this.retrain({}, 'scheduled');
      this.logger.info(result, 'scheduled retraining done');
    });
  }

  private tick(): void {
    if (this.stopped) {
      return;
    }
    clearTimeout(this.timer);
    this.ticking = true;
    const now = this.now();
    const work = this.runners
      .filter((r) => (this.due.get(r) ?? 0) <= now)
      .map((r) => {
        this.due.set(r, Math.floor(now / r.settings.stepMs) * r.settings.stepMs + r.settings.stepMs);
        return this.runWatch(r);
      });
    this.running = Promise.all(work).then(() => undefined);
    void this.running.finally(() => {
      this.ticking = false;
      if (!this.stopped) {
        this.timer = setTimeout(() => this.tick(), Math.min(15_000, ...this.runners.map((r) => r.settings.stepMs)));
      }
    });
  }

  /** Stops the timers, waits for a running cycle to finish and stores what it has not, so the store can close after. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.cron?.stop();
    await this.reloads;
    await this.running;
    await Promise.all(this.runners.map((r) => r.flush()));
    await this.annotator?.flush();
  }

  /**
   * Replaces the watches while the loop runs. Unchanged watches (same definition) keep running
   * untouched. A removed watch stops after its cycle in flight: its open anomalies close, its
   * targets' state stays stored. A changed watch (same name, any other difference) stops likewise
   * and starts afresh: the new runner finds its stored state learned under the old definition and
   * drops it with the resume point, so its new models replay the history as a new watch does.
   * Resolves once the new set is in place; reloads run one at a time.
   */
  replaceWatches(
    watches: WatchConfig[]
  ): Promise<{ added: string[]; changed: string[]; removed: string[]; unchanged: string[] }> {
    const run = this.reloads.then(() => this.swapWatches(watches));
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private async swapWatches(watches: WatchConfig[]) {
    const current = new Map(this.runners.map((r) => [r.name, r]));
    const result = {
      added: [] as string[],
      changed: [] as string[],
      removed: [] as string[],
      unchanged: [] as string[],
    };
    const kept = new Map<string, WatchRunner>();
    for (const watch of watches) {
      const old = current.get(watch.name);
      if (old && watchDefinition(old.watch) === watchDefinition(watch)) {
        kept.set(watch.name, old);
        result.unchanged.push(watch.name);
      } else {
        (old ? result.changed : result.added).push(watch.name);
      }
    }
    result.removed = [...current.keys()].filter((name) => !watches.some((w) => w.name === name));
    // Out of the list first, so no new cycle starts on them; retiring waits for the one in flight.
    this.runners = this.runners.filter((r) => kept.has(r.name));
    await Promise.all([...current.values()].filter((r) => !kept.has(r.name)).map((r) => r.retire()));
    const next: WatchRunner[] = [];
    this.off = [];
    for (const watch of watches) {
      const runner = kept.get(watch.name) ?? this.runnerFor(watch);
      if (runner && !kept.has(watch.name)) {
        runner.init();
      }
      if (runner) {
        next.push(runner);
      }
    }
    this.runners = next;
    this.logger.info(result, 'watches replaced');
    // New watches start at once rather than at the next tick (a tick in progress picks them up after).
    if (this.started && !this.ticking && result.added.length + result.changed.length > 0) {
      this.tick();
    }
    return result;
  }

  /**
   * Asks each watch's data source to evaluate its queries once, as the loop will (a range query of
   * one step), and returns the PromQL it refused, by watch index and signal. A source that does not
   * answer is not a refusal: the watch will show as degraded once it runs.
   */
  async refusedQueries(watches: WatchConfig[]): Promise<Array<{ watch: number; signal: string; message: string }>> {
    const checks = watches.flatMap((watch, index) => {
      // Short, and no retries: the answer is awaited by a PUT behind Grafana's proxy (30 s by default).
      const reach = this.reach(watch, {
        retries: 0,
        timeoutMs: Math.min(QUERY_CHECK_TIMEOUT_MS, this.deps.config.prometheus.timeout),
      });
      if (typeof reach === 'string') {
        return [];
      }
      const at = Math.floor((this.now() - watch.lag) / watch.step) * watch.step;
      return Object.entries(watch.queries).map(async ([signal, query]) => {
        try {
          await reach.querier.queryRange({ query, start: at, end: at, stepMs: watch.step });
          return undefined;
        } catch (err) {
          return err instanceof PrometheusError && err.kind === 'query' && err.errorType === 'bad_data'
            ? { watch: index, signal, message: err.message }
            : undefined;
        }
      });
    });
    return (await Promise.all(checks)).filter((r) => r !== undefined);
  }

  async retrain(
    body: RetrainBody,
    reason: ModelVersion['reason']
  ): Promise<{ trained: number; failed: Array<{ target: string; error: string }> }> {
    const runners = this.runners.filter((r) => body.watch === undefined || r.name === body.watch);
    if (body.watch !== undefined && runners.length === 0) {
      throw new PipelineError('not_found', `no watch named "${body.watch}"`);
    }
    if (body.target !== undefined && !runners.some((r) => r.targets.has(body.target!))) {
      throw new PipelineError('not_found', `no target "${body.target}"`);
    }
    let trained = 0;
    const failed: Array<{ target: string; error: string }> = [];
    for (const r of runners) {
      try {
        const result = await r.retrain((id) => body.target === undefined || id === body.target, reason);
        trained += result.trained;
        failed.push(...result.failed);
      } catch (err) {
        failed.push({ target: `${r.name} (all targets)`, error: (err as Error).message });
      }
    }
    return { trained, failed };
  }

  /**
   * Feedback on an anomaly from an operator or from the healing engine's verification (a
   * remediated anomaly is a confirmed incident). The next training uses it.
   */
  recordFeedback(
    anomalyId: number,
    kind: FeedbackKind,
    source: FeedbackSource,
    user?: string,
    comment?: string
  ): Anomaly {
    if (!this.repo.anomaly(anomalyId)) {
      throw new PipelineError('not_found', `no anomaly with id ${anomalyId}`);
    }
    this.repo.addFeedback(anomalyId, kind, source, user ?? null, comment ?? null);
    return this.repo.anomaly(anomalyId)!;
  }

  targets(q: Partial<TargetsQuery> = {}): Target[] {
    return this.targetPage(q).targets;
  }

  /**
   * A page of targets, by watch and then in the order each watch first saw them, and the cursor
   * of the next page (null: this is the last). A cursor whose last target has gone since is refused.
   */
  targetPage(q: Partial<TargetsQuery> = {}): { targets: Target[]; next: string | null } {
    const limit = q.limit ?? 1000;
    let after = q.cursor === undefined ? undefined : this.cursor(() => decodeCursor(q.cursor!, targetKeySchema));
    if (after && !this.runners.some((r) => r.name === after![0] && r.targets.has(after![1]))) {
      throw new PipelineError('invalid', 'cursor: its last target is no longer watched; start again without a cursor');
    }
    const out: Target[] = [];
    for (const r of this.runners) {
      if ((q.watch !== undefined && r.name !== q.watch) || (after && r.name !== after[0])) {
        continue;
      }
      for (const t of r.targets.values()) {
        if (after) {
          if (t.id === after[1]) {
            after = undefined;
          }
          continue;
        }
        if (
          (q.severity !== undefined && t.severity !== q.severity) ||
          (q.anomalous !== undefined && (t.open !== null) !== (q.anomalous === 'true'))
        ) {
          continue;
        }
        if (out.length >= limit) {
          const last = out[out.length - 1];
          return { targets: out, next: encodeCursor([last.watch, last.id]) };
        }
        out.push(q.history === 'true' ? { ...this.toTarget(t, r), scores: t.scoreHistory() } : this.toTarget(t, r));
      }
    }
    return { targets: out, next: null };
  }

  target(id: string): TargetDetail | undefined {
    for (const r of this.runners) {
      const t = r.targets.get(id);
      if (t) {
        return {
          target: this.toTarget(t, r),
          series: t.recent(),
          anomalies: this.repo.anomalies({ target: id, limit: 100 }),
          predictions: this.repo.predictions({ target: id, limit: 100 }),
          model: this.repo.models({ target: id, status: 'active', limit: 1 })[0] ?? null,
        };
      }
    }
    return undefined;
  }

  /** A target's score at its last scored step, without building its detail: healing re-checks a trigger with it. */
  currentScore(id: string): number | undefined {
    for (const r of this.runners) {
      const t = r.targets.get(id);
      if (t) {
        return t.score;
      }
    }
    return undefined;
  }

  predict(id: string): PredictResponse | undefined {
    for (const r of this.runners) {
      const t = r.targets.get(id);
      if (t) {
        return {
          target: id,
          score: t.score,
          threshold: t.threshold,
          anomalous: t.open !== null,
          severity: t.severity,
          failureModel: t.failureModel,
          timeToFailureSeconds: t.ttf?.seconds ?? null,
          at: Number.isNaN(t.lastAt) ? null : t.lastAt,
        };
      }
    }
    return undefined;
  }

  anomalies(q: Partial<AnomaliesQuery>): Anomaly[] {
    return this.anomalyPage(q).anomalies;
  }

  anomalyPage(q: Partial<AnomaliesQuery>): { anomalies: Anomaly[]; next: string | null } {
    return this.cursor(() => this.repo.anomalyPage(q));
  }

  /** Runs a read that decodes a cursor; a bad cursor is the client's error. */
  private cursor<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof CursorError) {
        throw new PipelineError('invalid', err.message);
      }
      throw err;
    }
  }

  predictions(q: Partial<PredictionsQuery>) {
    return this.repo.predictions(q);
  }

  models(q: Partial<ModelsQuery>): ModelVersion[] {
    return this.repo.models(q);
  }

  /** Every watch, running or off (an off watch is degraded with an `unconfigured` error saying what to set). */
  watches(): WatchStatus[] {
    const off = this.off.map(({ watch, reason, since }): WatchStatus => ({
      name: watch.name,
      queries: watch.queries,
      targetLabels: watch.target,
      stepSeconds: watch.step / 1000,
      historySeconds: watch.history / 1000,
      source: 'none',
      targets: 0,
      series: 0,
      degraded: true,
      lastError: { kind: 'unconfigured', message: reason, at: since },
      lastProcessedAt: null,
      lastCycleAt: null,
      lastCycleSeconds: null,
    }));
    return [...this.runners.map((r) => r.status()), ...off];
  }

  private toTarget(t: TargetModel, r: WatchRunner): Target {
    const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
    return {
      id: t.id,
      watch: t.watch,
      labels: t.labels,
      object: t.object,
      score: t.score,
      threshold: t.threshold,
      severity: t.severity,
      failureModel: t.failureModel,
      timeToFailure: t.ttf,
      openAnomalies: t.open ? 1 : 0,
      lastScoredAt: num(t.lastAt),
      learning: t.learning,
      learningProgress: t.learningProgress,
      learningSecondsLeft: t.learningSecondsLeft,
      degraded: r.isDegraded,
      signals: t.signals.map((s) => ({
        name: s.spec.name,
        value: num(s.value),
        expected: num(s.expected),
        lower: num(s.lower),
        upper: num(s.upper),
        score: s.score,
        direction: s.direction,
        lastSampleAt: num(s.lastAt),
      })),
    };
  }
}
