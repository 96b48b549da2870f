import { messageOf } from '../../utils/messageOf';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type {
  Anomaly,
  AnomaliesQuery,
  ModelVersion,
  PredictResponse,
  RetrainResponse,
  Target,
  TargetDetail,
  TargetsQuery,
  WatchStatus,
} from '../../contract/pipeline';
import type { Config, WatchConfig } from '../config/schema';
import { AnswerWarnings } from './answerWarnings';
import { GrafanaAnnotator } from './annotations';
import { DEFAULT_WATCHES } from './defaultWatches';
import { ListenerSet, type AnomalyListener } from './listener';
import { PipelineMetrics } from './metrics';
import type { TargetOwnership } from './ownership';
import { reachWatch, refusedQueries, type SourceDeps } from './sources';
import { decodeCursor } from './store/cursor';
import type { AnomalyPage, ListQuery, PipelineRepository } from './store/repository';
import type { SummaryPage } from './store/summaryTable';
import { sortedTargetPage } from './sortedTargets';
import { sortedAfter } from './targetOrder';
import { watchDefinition, WatchQueryError } from './query';
import {
  findTarget,
  offWatchStatus,
  predictionOf,
  readAnomalyPage,
  readingCursor,
  targetDetail,
  targetKeySchema,
  targetPage,
  type OffWatch,
} from './views';
import { RetrainStoppedError } from './retrainDeadline';
import { SharedRetraining } from './sharedRetraining';
import {
  coalescedRetraining,
  recordFeedback,
  retrainRunners,
  type FeedbackArgs,
  type RetrainSelection,
} from './trainingRequests';
import { WatchRunner } from './watchRunner';

/** The clock, the data sources (and their test overrides) come from SourceDeps. */
export interface PipelineDeps extends SourceDeps {
  config: Pick<Config, 'watches' | 'pipeline' | 'grafana' | 'prometheus'>;
  /** The watches to run at start: the store's when an admin saved some (WatchSettings); default the config's, else the defaults. */
  watches?: WatchConfig[];
  /** Where the watches' state, anomalies, predictions and models are kept (SQLite or PostgreSQL). */
  repository: PipelineRepository;
  logger: Logger;
  metrics: Registry;
  /** The targets this replica watches when replicas share the watches (coordination/members.ts); absent: all. */
  ownership?: TargetOwnership;
  /** Whether this replica leads (coordination/leadership.ts); absent: it always does. Only the leader retrains on the cron. */
  leads?: () => boolean;
}

export { PipelineError } from './views';

/**
 * The watch loop: one runner per watch, run every step; retraining on a cron and on demand;
 * feedback; and the read side the API serves. Errors of one watch never stop the others.
 */
export class Pipeline {
  readonly repo: PipelineRepository;
  readonly listeners: ListenerSet;
  readonly annotator?: GrafanaAnnotator;
  /** With replicas sharing the watches: "Retrain now" for targets another replica holds (sharedRetraining.ts). */
  readonly sharedRetraining?: SharedRetraining;
  private runners: WatchRunner[] = [];
  /** Watches whose source is not configured, with why: listed by the API so the list matches the log. */
  private off: OffWatch[] = [];
  private readonly metrics: PipelineMetrics;
  private readonly now: () => number;
  private readonly logger: Logger;
  /** Cancels the timer of the next tick. */
  private cancelTick?: () => void;
  private cancelRetrain?: () => void;
  private running?: Promise<void>;
  private started = false;
  private ticking = false;
  /** Aborted by `stop`: the cycles' queries in flight end rather than being waited out. */
  private readonly stopping = new AbortController();
  private readonly due = new WeakMap<WatchRunner, number>();
  private reloads: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PipelineDeps) {
    this.now = () => deps.clock.now();
    this.logger = deps.logger.child({ part: 'pipeline' });
    this.repo = deps.repository;
    this.listeners = new ListenerSet((err, event) => this.logger.error({ err, event }, 'an anomaly listener failed'));
    this.metrics = new PipelineMetrics(deps.metrics, deps.config.pipeline.maxTargetSeries);
    const { grafana } = deps.config;
    if (grafana.url && grafana.token) {
      this.annotator = new GrafanaAnnotator({
        grafanaUrl: grafana.url,
        token: grafana.token,
        repo: this.repo,
        logger: this.logger,
        clock: deps.clock,
        fetch: deps.fetch,
      });
      this.listeners.add(this.annotator);
    }
    const { ownership } = deps;
    if (ownership) {
      this.sharedRetraining = new SharedRetraining({
        repo: this.repo,
        identity: ownership.identity,
        clock: deps.clock,
        logger: this.logger,
        retrain: (body) => this.retrain(body, 'on_demand'),
        holds: (id) => findTarget(this.runners, id) !== undefined,
        wouldHold: (id, watch) => this.runners.find((r) => r.name === watch)?.wouldHold(id) ?? ownership.owns(id),
        watches: () => this.runners.map((r) => r.name),
        stepOf: (watch) => this.runners.find((r) => r.name === watch)?.settings.stepMs,
        settled: () => ownership.settled(),
      });
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
    const reach = reachWatch(this.deps, watch, {
      retries: this.deps.config.pipeline.retries,
      timeoutMs: this.deps.config.prometheus.timeout,
      onWarnings: new AnswerWarnings(this.logger, watch.name).heard,
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
      clock: this.deps.clock,
      ownership: this.deps.ownership,
      stopping: this.stopping.signal,
      options: {
        detailPoints: pipeline.detailPoints,
        staleAfterMs: pipeline.staleAfter,
        maxPoints: pipeline.maxPointsPerQuery,
        maxPointsPerAnswer: pipeline.maxPointsPerAnswer,
        predictionHorizonMs: pipeline.predictionHorizon,
      },
    });
  }

  /**
   * Asks each watch's data source to evaluate its queries once, as the loop will, and returns the
   * PromQL it refused (see sources.ts).
   */
  refusedQueries(watches: WatchConfig[]): Promise<Array<{ watch: number; signal: string; message: string }>> {
    return refusedQueries(this.deps, watches);
  }

  /**
   * Restores every watch from the store; never rejects. A watch whose store read fails is marked
   * degraded, and its next cycle tries again before scoring anything.
   */
  async init(): Promise<void> {
    await Promise.all(this.runners.map((r) => this.restore(r)));
  }

  private async restore(r: WatchRunner): Promise<void> {
    try {
      await r.init();
    } catch (err) {
      r.markDegraded('internal', `its stored state could not be read: ${messageOf(err)}`);
      this.logger.error({ watch: r.name, err }, 'watch not restored; its next cycle tries again');
    }
  }

  addListener(listener: AnomalyListener): void {
    this.listeners.add(listener);
  }

  /** One cycle of every watch, concurrently; a failing watch is marked degraded and the others go on. */
  async runOnce(): Promise<void> {
    await Promise.all(this.runners.map((r) => this.runWatch(r)));
    await this.sharedRetraining?.pickUp();
  }

  private async runWatch(r: WatchRunner): Promise<void> {
    try {
      await r.cycle();
    } catch (err) {
      // A failed query degraded the watch already; one the stop aborted failed nothing.
      if (!(err instanceof WatchQueryError) && !(this.stopped && err === this.stopping.signal.reason)) {
        const message = messageOf(err);
        // A failure that lasts (a full disk: every cycle fails alike) is logged when it starts or changes, not every cycle.
        if (r.markDegraded('internal', message)) {
          this.logger.debug({ watch: r.name }, `watch cycle failed again: ${message}`);
        } else {
          this.logger.error({ watch: r.name, err }, 'watch cycle failed');
        }
      }
    }
  }

  /** Runs each watch every step (and catches up at once), and retrains on the configured cron. */
  start(): void {
    this.started = true;
    this.tick();
    this.scheduleRetrain(new Cron(this.deps.config.pipeline.retrain, { paused: true }));
  }

  /**
   * The cron only says when; the wait is on the server's clock (so tests move time, not wait for it),
   * and the next run is planned after this one ends, so two never overlap.
   */
  private scheduleRetrain(cron: Cron): void {
    const now = this.now();
    const next = cron.nextRun(new Date(now));
    if (this.stopped || next === null) {
      return;
    }
    this.cancelRetrain = this.deps.clock.after(next.getTime() - now, () => {
      // Replicas share the models: the leader retrains them, once.
      if (this.deps.leads && !this.deps.leads()) {
        this.logger.info('scheduled retraining left to the leader: this replica follows');
        this.scheduleRetrain(cron);
        return;
      }
      void this.retrain({}, 'scheduled')
        .then((result) => this.logger.info(result, 'scheduled retraining done'))
        .catch((err: unknown) =>
          // Cut short by the stop, it failed nothing: the cron runs it again once the backend is back.
          err instanceof RetrainStoppedError
            ? this.logger.info('scheduled retraining stopped with the backend; nothing of it is stored')
            : this.logger.error({ err }, 'scheduled retraining failed')
        )
        .finally(() => this.scheduleRetrain(cron));
    });
  }

  private tick(): void {
    if (this.stopped) {
      return;
    }
    this.cancelTick?.();
    this.ticking = true;
    const now = this.now();
    const work = this.runners
      .filter((r) => (this.due.get(r) ?? 0) <= now)
      .map((r) => {
        this.due.set(r, Math.floor(now / r.settings.stepMs) * r.settings.stepMs + r.settings.stepMs);
        return this.runWatch(r);
      });
    // Retrain requests other replicas left run after the cycles, without holding the next tick.
    this.running = Promise.all(work).then(() => void this.sharedRetraining?.pickUp());
    void this.running.finally(() => {
      this.ticking = false;
      if (!this.stopped) {
        this.cancelTick = this.deps.clock.after(Math.min(15_000, ...this.runners.map((r) => r.settings.stepMs)), () =>
          this.tick()
        );
      }
    });
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /**
   * The first half of `stop`, at once: the timers stopped, the cycles' queries and the retraining in
   * flight aborted, so nothing starts or runs on. The backend halts the pipeline before closing its
   * HTTP server (which waits for the requests in flight): a "Retrain now" waiting on a retraining is
   * answered then, rather than at the retraining's deadline.
   */
  halt(): void {
    this.stopping.abort(new DOMException('the backend is stopping', 'AbortError'));
    this.cancelTick?.();
    this.cancelRetrain?.();
  }

  /**
   * Stops the timers, aborts the cycles' queries in flight (a cycle stores the answers it read) and
   * the retraining in flight (it stores nothing: retrainDeadline.ts), waits for the cycles to end and
   * stores what they have not, so the store can close after. Nothing waits for Prometheus or for a
   * retraining's deadline: Kubernetes gives a stopping pod 30 s.
   */
  async stop(): Promise<void> {
    this.halt();
    await this.reloads;
    await this.running;
    await this.sharedRetraining?.idle();
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
        await this.restore(runner);
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

  /** Retrains what the selection names (a queued request names its targets); a request for what is being retrained already joins that run. */
  readonly retrain: (selection: RetrainSelection, reason: ModelVersion['reason']) => Promise<RetrainResponse> =
    coalescedRetraining((body, reason) => retrainRunners(this.runners, body, reason));

  /** Feedback on an anomaly (see trainingRequests.ts); once stored, the listeners hear of it (healing withdraws for a false positive). */
  async recordFeedback(...feedback: FeedbackArgs): Promise<Anomaly> {
    const anomaly = await recordFeedback(this.repo, ...feedback);
    const [anomalyId, kind, source, user] = feedback;
    this.listeners.feedback({ anomalyId, kind, source, user: user ?? null });
    return anomaly;
  }

  targets(q: Partial<TargetsQuery> = {}): Target[] {
    return this.targetPage(q).targets;
  }

  /** A page of targets, the cursor of the next and how many match (see views.ts; sorted: sortedTargets.ts). */
  targetPage(q: Partial<TargetsQuery> = {}): SummaryPage {
    const { sort } = q;
    return sort === undefined ? targetPage(this.runners, q) : sortedTargetPage(this.runners, { ...q, sort });
  }

  /**
   * The targets page the API serves. Replicas sharing the watches list the whole fleet from the
   * store (each writes the targets it scores with its checkpoints), so whichever replica a request
   * reaches answers the same; a single process lists what it holds.
   */
  async listTargets(q: Partial<TargetsQuery> = {}): Promise<SummaryPage> {
    if (!this.deps.ownership) {
      return this.targetPage(q);
    }
    const { cursor, ...filters } = q;
    const { sort } = q;
    const watches = this.runners.map((r) => r.name);
    if (watches.length === 0) {
      return { targets: [], next: null, total: 0 };
    }
    const start =
      cursor === undefined
        ? {}
        : readingCursor(() =>
            sort === undefined
              ? { after: decodeCursor(cursor, targetKeySchema) }
              : { sortedAfter: sortedAfter(sort, q.order ?? 'desc', cursor) }
          );
    return this.repo.targetSummaryPage({ ...filters, watches, ...start });
  }

  /** A target's detail, on any replica (see views.ts). */
  target(id: string): Promise<TargetDetail | undefined> {
    return targetDetail({ runners: this.runners, off: this.off, repo: this.repo, ownership: this.deps.ownership }, id);
  }

  /**
   * How abnormal a target is at its last scored step (TargetModel.level: what keeps its episode open),
   * without building its detail: healing re-checks a trigger and verifies an action with it.
   */
  currentScore(id: string): number | undefined {
    return findTarget(this.runners, id)?.target.level;
  }

  predict(id: string): PredictResponse | undefined {
    const found = findTarget(this.runners, id);
    return found && predictionOf(found.target);
  }

  async anomalies(q: Partial<AnomaliesQuery>): Promise<Anomaly[]> {
    return (await this.anomalyPage(q)).anomalies;
  }

  /** A cursor that is not the `next` of a page is refused before the store is asked. */
  anomalyPage(q: Partial<AnomaliesQuery>): Promise<AnomalyPage> {
    return readAnomalyPage(this.repo, q);
  }

  predictions(q: ListQuery<'predictions'>) {
    return this.repo.predictions(q);
  }

  models(q: ListQuery<'models'>) {
    return this.repo.models(q);
  }

  /** The anomalies open on the targets this process watches, from memory (the periodic summary counts them). */
  openAnomalyCount(): number {
    return this.runners.reduce((n, r) => n + [...r.targets.values()].filter((t) => t.open).length, 0);
  }

  /** Every watch, running or off (an off watch is degraded with an `unconfigured` error saying what to set). */
  watches(): WatchStatus[] {
    return [...this.runners.map((r) => r.status()), ...this.off.map(offWatchStatus)];
  }
}
