import type Database from 'better-sqlite3';
import { Cron } from 'croner';
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
import { grafanaDataSourceClient } from '../prometheus/grafana';
import { ResilientRangeQuerier } from '../prometheus/resilient';
import { GrafanaAnnotator } from './annotations';
import { DEFAULT_WATCHES } from './defaultWatches';
import { ListenerSet, type AnomalyListener } from './listener';
import { PipelineMetrics } from './metrics';
import { PipelineRepository } from './store/repository';
import type { TargetModel } from './targetModel';
import { WatchQueryError, WatchRunner, type RangeQuerier } from './watchRunner';

export interface PipelineDeps {
  config: Pick<Config, 'watches' | 'pipeline' | 'grafana' | 'prometheus'>;
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
  private readonly runners: WatchRunner[] = [];
  private readonly now: () => number;
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private cron?: Cron;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: PipelineDeps) {
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger.child({ part: 'pipeline' });
    this.repo = new PipelineRepository(deps.db, this.now);
    this.listeners = new ListenerSet((err, event) => this.logger.error({ err, event }, 'an anomaly listener failed'));
    const metrics = new PipelineMetrics(deps.metrics);
    const { grafana, pipeline } = deps.config;
    if (grafana.url && grafana.token) {
      this.annotator = new GrafanaAnnotator({ grafanaUrl: grafana.url, token: grafana.token, repo: this.repo, logger: this.logger, fetch: deps.fetch });
      this.listeners.add(this.annotator);
    }
    for (const watch of deps.config.watches ?? DEFAULT_WATCHES) {
      const reach = deps.querierFor ? { querier: deps.querierFor(watch), source: 'injected' } : this.reach(watch);
      if (!reach) {
        continue;
      }
      this.runners.push(
        new WatchRunner({
          watch,
          querier: reach.querier,
          source: reach.source,
          repo: this.repo,
          metrics,
          listener: this.listeners,
          logger: this.logger,
          now: this.now,
          options: {
            detailPoints: pipeline.detailPoints,
            staleAfterMs: pipeline.staleAfter,
            maxPoints: pipeline.maxPointsPerQuery,
            predictionHorizonMs: pipeline.predictionHorizon,
          },
        })
      );
    }
  }

  /** How a watch reaches its data; undefined (with a warning) when its source is not configured. */
  private reach(watch: WatchConfig): { querier: RangeQuerier; source: string } | undefined {
    const { prometheus, grafana, pipeline } = this.deps.config;
    const resilient = (client: PrometheusClient) =>
      new ResilientRangeQuerier(client, { maxPoints: pipeline.maxPointsPerQuery, retries: pipeline.retries, sleep: this.deps.sleep });
    if (watch.source && 'grafana' in watch.source) {
      if (!grafana.url || !grafana.token) {
        this.logger.warn({ watch: watch.name }, `watch ${watch.name} reads Grafana data source ${watch.source.grafana}: set FP_GRAFANA_URL and FP_GRAFANA_TOKEN; the watch is off until then`);
        return undefined;
      }
      const client = grafanaDataSourceClient({ grafanaUrl: grafana.url, token: grafana.token, uid: watch.source.grafana, timeoutMs: prometheus.timeout, fetch: this.deps.fetch });
      return { querier: resilient(client), source: `grafana:${watch.source.grafana}` };
    }
    const url = watch.source?.prometheus ?? prometheus.url;
    if (!url) {
      this.logger.warn({ watch: watch.name }, `watch ${watch.name} has no data source: set FP_PROMETHEUS_URL or the watch's source; the watch is off until then`);
      return undefined;
    }
    return { querier: resilient(new PrometheusClient({ baseUrl: url, timeoutMs: prometheus.timeout, fetch: this.deps.fetch })), source: url };
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
    const tickMs = Math.min(15_000, ...this.runners.map((r) => r.settings.stepMs));
    const due = new Map<WatchRunner, number>();
    const tick = () => {
      if (this.stopped) {
        return;
      }
      const now = this.now();
      const work = this.runners
        .filter((r) => (due.get(r) ?? 0) <= now)
        .map((r) => {
          due.set(r, Math.floor(now / r.settings.stepMs) * r.settings.stepMs + r.settings.stepMs);
          return this.runWatch(r);
        });
      this.running = Promise.all(work).then(() => undefined);
      void this.running.finally(() => {
        if (!this.stopped) {
          this.timer = setTimeout(tick, tickMs);
        }
      });
    };
    tick();
    this.cron = new Cron(this.deps.config.pipeline.retrain, { protect: true }, async () => {
      const result = await this.retrain({}, 'scheduled');
      this.logger.info(result, 'scheduled retraining done');
    });
  }

  /** Stops the timers and waits for a running cycle to finish, so the store can close after. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.cron?.stop();
    await this.running;
    await this.annotator?.flush();
  }

  async retrain(body: RetrainBody, reason: ModelVersion['reason']): Promise<{ trained: number; failed: Array<{ target: string; error: string }> }> {
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
  recordFeedback(anomalyId: number, kind: FeedbackKind, source: FeedbackSource, user?: string, comment?: string): Anomaly {
    if (!this.repo.anomaly(anomalyId)) {
      throw new PipelineError('not_found', `no anomaly with id ${anomalyId}`);
    }
    this.repo.addFeedback(anomalyId, kind, source, user ?? null, comment ?? null);
    return this.repo.anomaly(anomalyId)!;
  }

  targets(q: Partial<TargetsQuery> = {}): Target[] {
    const out: Target[] = [];
    for (const r of this.runners) {
      if (q.watch !== undefined && r.name !== q.watch) {
        continue;
      }
      for (const t of r.targets.values()) {
        if ((q.severity !== undefined && t.severity !== q.severity) || (q.anomalous !== undefined && (t.open !== null) !== (q.anomalous === 'true'))) {
          continue;
        }
        out.push(this.toTarget(t, r));
        if (out.length >= (q.limit ?? 1000)) {
          return out;
        }
      }
    }
    return out;
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
    return this.repo.anomalies(q);
  }

  predictions(q: Partial<PredictionsQuery>) {
    return this.repo.predictions(q);
  }

  models(q: Partial<ModelsQuery>): ModelVersion[] {
    return this.repo.models(q);
  }

  watches(): WatchStatus[] {
    return this.runners.map((r) => r.status());
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
