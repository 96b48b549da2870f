import type { ModelVersion, WatchStatus } from '../../contract/pipeline';
import type { WatchConfig } from '../config/schema';
import type { RangeSeries } from '../prometheus/types';
import { StoredRowError } from '../store/rows';
import { messageOf } from '../../utils/messageOf';
import { announce } from './announce';
import { NewestWarning } from './answerWarnings';
import { answerSteps, basisOf, chunkEnd, outgrownBasis, type AnswerBasis, type CatchUpLimits } from './catchUp';
import { gatherChanges, publishTargetMetrics, storeInPieces, storeStates, UnsavedStates } from './checkpoint';
import { WatchScoring } from './chunkScoring';
import { LearningLog, MatchLog } from './matchReport';
import { shareKey, WatchShare } from './ownership';
import { PeerGroups } from './peerGroups';
import { answerOutgrown, fetchChunk, readInAnswers, watchDefinition, watchIdentity, WatchQueryError } from './query';
import { baseThreshold, recordInitialModels, retrainTargets, type TrainingDeps } from './retraining';
import type { ModelFence } from './retrainClaims';
import {
  RetrainAbandonedError,
  RetrainCutShortError,
  RetrainDeadline,
  retrainDeadlineMs,
  RetrainStoppedError,
} from './retrainDeadline';
import { storedModels } from './restore';
import { targetIdLabels } from './targetIdLabels';
import type { AnomalyRecord, TargetModel, TargetSettings } from './targetModel';
import { targetSettings } from './targets';
import { WatchHealth } from './watchHealth';
import type { RunnerDeps } from './watchRunnerDeps';

/** A time as logs and messages say it: ISO, or the number itself when no date can hold it (a corrupt row's). */
const when = (ms: number): string => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** Tests build queriers against this name. */
export type { RangeQuerier } from './query';

/**
 * How far a target's stored last step may lie after the cycle's end before it relearns
 * (relearnAhead). Less is only a blind spell that ends as the clock reaches it: replicas' clocks
 * apart by seconds or a minute must not throw away what a target learned over days.
 */
const TARGET_AHEAD_TOLERATED_MS = 5 * 60_000;

/**
 * One watch: every step it fetches the new samples of its queries, scores every target, tracks
 * anomalies and predictions, and checkpoints each chunk (its records and resume point in one transaction).
 */
export class WatchRunner {
  readonly targets = new Map<string, TargetModel>();
  readonly settings: TargetSettings;
  private lastProcessed: number | null = null;
  private readonly health: WatchHealth;
  private readonly scoring: WatchScoring;
  private readonly match: MatchLog;
  private readonly learning: LearningLog;
  private readonly peers: PeerGroups;
  /** Targets whose state changed since it was last stored (one object: the share holds it too). */
  private readonly unsaved = new UnsavedStates();
  /**
   * Whether what is in memory is the store's last committed checkpoint or follows from it: false
   * at first and after a write failed (memory is then ahead of the store). Set true only by
   * `restore`, false only by `committing`.
   */
  private restored = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set once the watch was removed or replaced: nothing of it runs any more. */
  private retired = false;
  /** This replica's part of the watch when replicas share it (ownership.ts). */
  private readonly share?: WatchShare;
  /** What sizes the next answer (catchUp.ts): the last one read, or the targets restored. */
  private answerBasis?: AnswerBasis;
  /**
   * Something stored lay after the cycle's end (its resume point, or a target's last step): the watch
   * stays degraded through the cycle that found it, which replays the history.
   */
  private storedAhead = false;
  /** What the watch's answers warn of now (a partial answer), for its status. */
  private readonly warning = new NewestWarning();
  /** The clock's monotonic time, which a large write's pieces are sized in (checkpoint.ts). */
  private readonly elapsed = (): number => this.deps.clock.elapsed();

  constructor(private readonly deps: RunnerDeps) {
    const { watch, options } = deps;
    this.settings = targetSettings(watch, options);
    this.health = new WatchHealth(watch.name, deps);
    this.match = new MatchLog(watch, deps.logger);
    this.learning = new LearningLog(watch.name, deps.logger);
    this.peers = new PeerGroups(watch.peers, Object.keys(watch.queries));
    this.scoring = new WatchScoring({
      ...deps,
      targets: this.targets,
      settings: this.settings,
      baseThreshold: this.baseThreshold,
      peers: this.peers,
    });
    if (deps.ownership) {
      this.share = new WatchShare(
        {
          watch,
          settings: this.settings,
          repo: deps.repo,
          metrics: deps.metrics,
          logger: deps.logger,
          answerSteps: () => this.answerSteps(),
          targets: this.targets,
          peers: this.peers,
          unsaved: this.unsaved,
          lastProcessed: () => this.lastProcessed,
          relearnAhead: (targets, end) => this.relearnAhead(targets, end),
          fetch: (from, to) => this.fetch(from, to),
          // The gap of a taken-over target is scored as the live loop scores it, scrape health included.
          score: (results, from, to) => this.scoring.score(results, from, to),
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
    return this.health.isDegraded;
  }

  /**
   * Restores the targets and the resume point from the store, unless they were learned under another
   * definition; after whatever this watch is doing. Rejects when the store cannot be read: the next
   * cycle tries again before it scores anything.
   */
  init(): Promise<void> {
    return this.exclusive(() => this.restore());
  }

  /**
   * What is in memory is replaced by what the store holds: the last committed checkpoint. Read in
   * full before anything in memory changes, so a failed read leaves memory as it was.
   */
  private async restore(): Promise<void> {
    const { repo, watch, logger } = this.deps;
    if (await repo.adoptDefinition(this.name, watchDefinition(watch))) {
      logger.info(
        { watch: this.name },
        'watch changed since its state was stored (or the definition stored with it is unreadable); replaying its history with fresh models'
      );
    }
    const lastProcessed = await this.storedResumePoint();
    await this.peers.restore(() => repo.loadPeers(this.name), logger, this.name);
    // Shared: each target is taken up from the store once this replica owns it.
    const models = this.share
      ? new Map<string, TargetModel>()
      : await storedModels({ ...this.deps, settings: this.settings });
    this.lastProcessed = lastProcessed;
    this.targets.clear();
    for (const [id, model] of models) {
      this.targets.set(id, model);
    }
    this.unsaved.clear();
    this.answerBasis = models.size > 0 ? { series: models.size } : undefined;
    this.deps.metrics.targetsWatched.set({ watch: this.name }, this.targets.size);
    this.restored = true;
  }

  /**
   * The stored resume point. An unreadable one is taken as none, with a warning, as unreadable
   * peer groups are: the watch replays its history as a new watch does, onto its targets' stored
   * states (each skips the steps it saw), and its next checkpoint writes a readable one.
   */
  private async storedResumePoint(): Promise<number | null> {
    const { repo, logger } = this.deps;
    try {
      return await repo.lastProcessed(this.name);
    } catch (err) {
      // A row of another shape is replayed over; a store that does not answer fails the restore, which is tried again.
      if (!(err instanceof StoredRowError)) {
        throw err;
      }
      logger.warn(
        { watch: this.name, err: messageOf(err) },
        'stored resume point unreadable; replaying the watch history'
      );
      return null;
    }
  }

  /**
   * A resume point past the step after the cycle's end is in the future: stored by a clock that ran
   * ahead (another replica's, or this one's before it was put right) or a corrupt row. Trusted, it
   * would have the watch score nothing, looking healthy, until the clock caught up with it. The watch
   * is marked degraded for this cycle and replays its history, as a new watch does, rather than
   * resume at `end`: where scoring really stopped is unknown, resuming at `end` loses every step
   * since, and a replay loses none while scoring none twice (each target skips the steps up to its
   * own last one, TargetModel.step; only peer groups see the replayed steps again). The targets are
   * restored first: in memory they may have scored the future steps (as missing), their stored
   * states stop at their last sample (one after the cycle's end relearns: relearnAhead). One step
   * ahead is tolerated: replicas' clocks differ a little.
   */
  private async distrustResumePoint(end: number): Promise<void> {
    const resumePoint = this.lastProcessed!;
    this.storedAhead = true;
    this.deps.logger.warn(
      { watch: this.name, resumePoint: when(resumePoint), cycleEnd: when(end) },
      "resume point after the cycle's end; replaying the watch history"
    );
    this.markDegraded(
      'internal',
      `its resume point ${when(resumePoint)} is after this cycle's end ${when(end)} (a clock that ran ahead, or a corrupt row); its history is replayed`
    );
    await this.restore();
    this.lastProcessed = null;
  }

  /**
   * Targets whose last step is past the cycle's end by more than TARGET_AHEAD_TOLERATED_MS (or a
   * step), as a resume point can be (a clock that ran ahead, stored by this process or another
   * replica, or a corrupt row), while the watch's own resume point may be sane. Trusted, such a target skips every step up to it
   * (TargetModel.step): it would score nothing, and no anomaly could open on it, until the clock
   * caught up, while the watch looked healthy. Each relearns (TargetModel.relearn: its detectors too
   * may hold that future time) from the watch's history, which the caller replays; the watch is
   * marked degraded for this cycle, naming a target and both times, and a warning says how many.
   * Returns them (none: the targets are left as they are).
   */
  private relearnAhead(targets: Iterable<TargetModel>, end: number): TargetModel[] {
    const limit = end + Math.max(this.deps.watch.step, TARGET_AHEAD_TOLERATED_MS);
    const ahead: TargetModel[] = [];
    for (const t of targets) {
      if (t.seenAt > limit) {
        ahead.push(t);
      }
    }
    if (ahead.length === 0) {
      return ahead;
    }
    const first = ahead[0];
    const lastStep = when(first.seenAt);
    this.deps.logger.warn(
      { watch: this.name, targets: ahead.length, target: first.id, lastStep, cycleEnd: when(end) },
      "targets' last step after the cycle's end; they relearn from the watch history"
    );
    for (const t of ahead) {
      t.relearn(end);
    }
    const which =
      ahead.length === 1
        ? `target ${first.id}'s last step ${lastStep} is`
        : `the last steps of ${ahead.length} targets (${first.id}'s: ${lastStep}) are`;
    this.markDegraded(
      'internal',
      `${which} after this cycle's end ${when(end)} (a clock that ran ahead, or a corrupt row); relearning from the watch history`
    );
    this.storedAhead = true;
    return ahead;
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
    const started = this.elapsed();
    const step = watch.step;
    const end = Math.floor((clock.now() - watch.lag) / step) * step;
    this.storedAhead = false;
    if (this.lastProcessed !== null && this.lastProcessed > end + step) {
      await this.distrustResumePoint(end);
    }
    if (this.relearnAhead(this.targets.values(), end).length > 0) {
      // They learn from the history, as a new watch's targets do; the others skip the steps they saw.
      this.lastProcessed = null;
    }
    let from = this.lastProcessed === null ? Math.ceil((end - watch.history) / step) * step : this.lastProcessed + step;
    const limits: CatchUpLimits = { stepMs: step, ...this.deps.options };
    const scoringBefore = this.scoring.scoringMs;
    const scoredAny = from <= end;
    while (from <= end && !this.deps.stopping?.aborted) {
      // Each answer is scored as it is read (one answer's series in memory); the chunk is stored once.
      const scored = new Set<TargetModel>();
      const through = await readInAnswers(
        { from, to: chunkEnd(from, end, limits), stepMs: step, stop: this.deps.stopping },
        () => this.answerSteps(),
        async (at, until) => {
          const fetched = await this.fetch(at, until);
          return this.scoring.score(this.share ? await this.share.take(fetched, at, end) : fetched, at, until);
        },
        async (touched) => {
          for (const t of touched) {
            scored.add(t);
          }
        }
      );
      this.unsaved.changed(scored, from);
      await this.checkpoint([...scored], through, end);
      from = through + step;
    }
    this.health.cycled((this.elapsed() - started) / 1000, this.storedAhead);
    if (scoredAny) {
      this.match.report(this.scoring.seriesBySignal, this.scoring.series, this.targets.values());
    }
    this.learning.report(this.targets);
    metrics.scoringDuration.observe({ watch: this.name }, (this.scoring.scoringMs - scoringBefore) / 1000);
  }

  /**
   * The steps [from, to] of the watch's queries (or `watch`'s: narrowed). `abort` ends the queries in
   * flight, by default once the backend stops; an aborted fetch rejects with its reason and leaves the
   * watch's health alone (no query failed). An answer of several steps that outgrew the size limit
   * narrows the answers to come and rejects without degrading the watch: its caller reads a shorter
   * one (answerOutgrown).
   */
  private async fetch(
    from: number,
    to: number,
    watch = this.deps.watch,
    abort = this.deps.stopping
  ): Promise<Map<string, RangeSeries[]>> {
    const started = this.elapsed();
    try {
      const results = await fetchChunk(this.deps.querier, watch, from, to, abort, (signal, warnings) =>
        this.warning.heard(signal, warnings, this.deps.clock.now())
      );
      this.deps.metrics.countPhase(this.name, 'query', started, this.elapsed());
      // A narrowed read (retraining a few targets) says nothing of how large the watch's answers are.
      if (watch === this.deps.watch) {
        this.answerBasis = basisOf(results, from, to, watch.step, this.answerBasis);
      }
      return results;
    } catch (err) {
      const steps = Math.floor((to - from) / watch.step) + 1;
      if (answerOutgrown(err) && steps > 1) {
        // Not a failure yet: its reader asks for fewer steps (readInAnswers), and so does every read after it.
        this.answerBasis = outgrownBasis(this.answerBasis, steps);
        this.deps.logger.info(
          { watch: this.name, steps, from: when(from) },
          'an answer outgrew prometheus.maxResponseBytes; reading answers of fewer steps'
        );
      } else if (err instanceof WatchQueryError) {
        this.markDegraded(err.error.kind, `query "${err.signal}" failed: ${err.error.message}`);
      }
      throw err;
    }
  }

  /** Marks the watch degraded (the loop keeps going; the next cycle resumes where this one stopped); true when it already was, alike. */
  markDegraded(kind: NonNullable<WatchStatus['lastError']>['kind'], message: string): boolean {
    return this.health.markDegraded(kind, message);
  }

  /**
   * Stores one chunk: target states, anomalies, predictions, the resume point; then tells listeners.
   * When the store refuses, the chunk's records and resume point were not written (states of a
   * large write may have been, ahead of it) and what is in memory is ahead of the store: the next
   * cycle restores the last committed checkpoint and scores again from there.
   */
  private async checkpoint(touched: TargetModel[], to: number, end: number): Promise<void> {
    const { repo, metrics, watch } = this.deps;
    const started = this.elapsed();
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
      const write = {
        watch: watch.name,
        // Never past the cycle's end (chunks end there anyway): a later cycle would skip to it.
        lastProcessed: Math.min(end, this.unsaved.storedThrough(to, watch.step, new Set(writing))),
        anomalies: changes.anomalies,
        predictions: changes.predictions,
        forgotten: changes.forgotten.map((t) => t.id),
        peers: this.peers.toStore(),
        peersForgotten: this.peers.takeDropped(),
        // Replicas sharing the watches list every target from the store: the last chunk's are written.
        summaries: to === end ? this.share?.summaries(touched) : undefined,
      };
      const committed = await storeInPieces(repo, write, writing, this.elapsed);
      this.unsaved.saved(writing);
      return committed;
    });
    this.lastProcessed = to;
    const publishing = metrics.countPhase(watch.name, 'checkpoint', started, this.elapsed());
    // Before the forgotten go: their closed anomalies are announced with them.
    announce(this.deps, stored, changes.fresh, end, this.targets);
    for (const t of forgotten) {
      this.targets.delete(t.id);
    }
    publishTargetMetrics(metrics, watch.name, touched, changes.forgotten, changes.lapsed);
    metrics.targetsWatched.set({ watch: watch.name }, this.targets.size);
    metrics.lastProcessed.set({ watch: watch.name }, to / 1000);
    metrics.countPhase(watch.name, 'publish', publishing, this.elapsed());
  }

  /**
   * Runs a write of what is in memory; when it fails, what is in memory is ahead of the store, so
   * the next cycle restores the last committed checkpoint first.
   */
  private async committing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      // A retraining cut short (abandoned, or the backend stopping) swapped in only the versions it stored (retrainTargets).
      if (!(err instanceof RetrainCutShortError)) {
        this.restored = false;
      }
      throw err;
    }
  }

  /** Steps the next fetch outside a cycle's catch-up may cover (a takeover's gap, retraining): catchUp.ts' sizing. */
  private answerSteps(): number {
    return answerSteps(this.answerBasis, { stepMs: this.deps.watch.step, ...this.deps.options });
  }

  private training(): TrainingDeps {
    return {
      watch: this.deps.watch,
      repo: this.deps.repo,
      settings: this.settings,
      clock: this.deps.clock,
      answerSteps: () => this.answerSteps(),
      held: this.targets.size,
      fetch: (from, to, narrowed, abort) => this.fetch(from, to, narrowed, abort),
    };
  }

  /**
   * Retrains the selected targets on the watch's history (up to the last processed step), leaving
   * out windows confirmed as incidents and raising the threshold of targets with repeated false
   * positives. A target's new model replaces the old one only if it trained without error. Past its
   * deadline (retrainDeadline.ts, counted once the watch's cycle in flight let it start) it rejects with
   * a RetrainAbandonedError, storing nothing more (retrainTargets), and the watch's cycles go on; once the backend
   * stops, likewise with a RetrainStoppedError, so that the stop need not wait for it.
   */
  retrain(
    select: (targetId: string) => boolean,
    reason: ModelVersion['reason'],
    fence?: ModelFence
  ): Promise<{ trained: number; failed: Array<{ target: string; error: string }> }> {
    return this.exclusive(async () => {
      const chosen = [...this.targets.values()].filter((t) => select(t.id));
      const end = this.lastProcessed;
      if (this.retired || !this.restored || end === null || chosen.length === 0) {
        return { trained: 0, failed: [] };
      }
      const deadlineMs = retrainDeadlineMs(this.deps.watch, chosen.length);
      const deadline = new RetrainDeadline(this.deps.clock, this.name, deadlineMs, this.deps.stopping);
      try {
        return await this.committing(async () => {
          const training = { ...this.training(), deadline };
          const { trained, failed, retrained } = await retrainTargets(training, chosen, end, reason, fence);
          const through = this.unsaved.storedThrough(end, this.settings.stepMs, new Set(retrained));
          // Waited for until the deadline, as the versions were: the new models run already, and the
          // watch's checkpoints store their states if this one does not.
          await deadline.until(storeStates(this.deps.repo, this.name, through, retrained, this.elapsed));
          this.unsaved.saved(retrained);
          return { trained, failed };
        });
      } catch (err) {
        if (err instanceof RetrainAbandonedError) {
          this.deps.logger.warn(
            { watch: this.name, targets: chosen.length, reason, deadlineMinutes: Math.round(deadlineMs / 60_000) },
            'retraining abandoned past its deadline: its queries in flight are aborted, what it still waited for of the store is no longer waited for, and nothing more of it is stored; the watch goes on with its current models (those it stored before then included)'
          );
        }
        if (err instanceof RetrainStoppedError) {
          this.deps.logger.info(
            { watch: this.name, targets: chosen.length, reason },
            'retraining stopped with the backend: its queries in flight are aborted and nothing of it is stored; the watch keeps its current models'
          );
        }
        throw err;
      } finally {
        deadline.end();
      }
    });
  }

  /**
   * Whether this replica holds the target of this watch (by its id) whenever the target exists: it
   * is in this replica's share (ownership.ts), or the replica runs the whole watch alone. True for a
   * target that went too: a retrain request left for it is then this replica's to answer as expired.
   */
  wouldHold(id: string): boolean {
    const { ownership, watch } = this.deps;
    if (!ownership) {
      return true;
    }
    const labels = targetIdLabels(watch.name, id);
    // Not an id of this watch's (no target of it can be held): its share as a key of its own.
    return ownership.owns(labels ? shareKey(watch, labels) : id);
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
      await this.committing(() => storeStates(this.deps.repo, this.name, lastProcessed, writing, this.elapsed));
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
          const stored = await storeStates(
            repo,
            watch.name,
            this.lastProcessed,
            this.targets.values(),
            this.elapsed,
            anomalies
          );
          announce(this.deps, stored, new Set(), this.lastProcessed, this.targets);
        } catch (err) {
          // The store keeps the last committed cycle: the same watch added again resumes from it.
          this.deps.logger.error({ watch: watch.name, err }, 'watch removed without storing its last cycle');
        }
      }
      publishTargetMetrics(metrics, watch.name, [], [...this.targets.values()]);
      metrics.removeWatch(watch.name);
      this.targets.clear();
    });
  }

  status(): WatchStatus {
    const { watch } = this.deps;
    return {
      ...watchIdentity(watch),
      source: this.deps.source,
      targets: this.targets.size,
      series: this.scoring.series,
      lastProcessedAt: this.lastProcessed,
      ...this.health.status(),
      ...(this.warning.newest ? { warning: this.warning.newest } : {}),
    };
  }
}
