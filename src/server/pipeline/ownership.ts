import { messageOf } from '../../utils/messageOf';
import type { Logger } from 'pino';
import type { WatchConfig } from '../config/schema';
import type { RangeSeries } from '../prometheus/types';
import { type UnsavedStates, publishTargetMetrics, storedTargets } from './checkpoint';
import type { PipelineMetrics } from './metrics';
import { peerGroupKey, type PeerGroups } from './peerGroups';
import { readInAnswers } from './query';
import type { PipelineRepository, TargetSummary } from './store/repository';
import { TargetModel, type TargetSettings } from './targetModel';
import { kubernetesObject, targetId, targetLabels } from './targets';
import { toTarget } from './views';

/**
 * Which targets this replica watches, when replicas share the watches (coordination/members.ts's
 * TargetShare). Without one, a process watches everything, as it always did.
 */
export interface TargetOwnership {
  /** This replica's name: the owner the target listing names for the targets it scores. */
  readonly identity: string;
  /** Whether this replica watches the targets of that share key (shareKey). */
  owns(shareKey: string): boolean;
  /**
   * False until this replica knows its share: a watch waits rather than scoring nothing and moving
   * its resume point past history its targets have not learned from.
   */
  settled(): boolean;
}

/**
 * What replicas partition the targets by. A watch with peer groups keeps each group on one
 * replica: telling a target departing from its siblings needs all of them in one process. Any
 * other target is partitioned by itself.
 */
export function shareKey(watch: WatchConfig, labels: Record<string, string>): string {
  return watch.peers ? `${watch.name}/peers{${peerGroupKey(watch.peers, labels)}}` : targetId(watch.name, labels);
}

/** What a watch runner lends its share: its targets, its unsaved states, and its own fetch and scoring. */
export interface ShareHost {
  watch: WatchConfig;
  settings: TargetSettings;
  repo: PipelineRepository;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Steps the next fetch may cover: answers sized by the watch's series (catchUp.ts' answerSteps). */
  answerSteps(): number;
  targets: Map<string, TargetModel>;
  peers: PeerGroups;
  unsaved: UnsavedStates;
  /** The last step the runner scored (null before its first cycle). */
  lastProcessed(): number | null;
  /**
   * Makes the targets whose last step is after the cycle's end relearn, saying so (the runner's
   * relearnAhead); returns them.
   */
  relearnAhead(targets: TargetModel[], end: number): TargetModel[];
  fetch(from: number, to: number): Promise<Map<string, RangeSeries[]>>;
  /** Scores the steps [from, to] of the fetched series on the runner's targets; returns those with samples. */
  score(results: Map<string, RangeSeries[]>, from: number, to: number): Promise<TargetModel[]>;
}

/**
 * One watch's part in sharing the targets among replicas. Before each chunk is scored the targets
 * another replica now owns are stored and let go, the series of targets this replica does not own
 * are left out, and a target it owns but does not hold is resumed from the state the
 * store has for it (stored by the replica that held it, or by this one before a restart) and its
 * steps since that state scored first, from Prometheus, as a restart replays them. Replaying is
 * exact: the anomaly a state holds open carries its id, so it is continued, not opened again.
 */
export class WatchShare {
  /** How many cycles have listed their targets (summaries). */
  private listings = 0;

  constructor(
    private readonly host: ShareHost,
    private readonly ownership: TargetOwnership
  ) {}

  /**
   * The scored targets as the API lists them, for the store: every replica then lists the whole
   * fleet. Their chunk was fetched and scored, so they are not degraded.
   */
  summaries(scored: TargetModel[]): TargetSummary[] {
    const { identity } = this.ownership;
    // A history is most of a row and moves slowly (a point per slice of hours): each target's is
    // written every SCORES_SPREAD_CYCLES cycles, on a phase of its own, and all at the first cycle.
    const cycle = this.listings++;
    return scored.map((t) => ({
      target: toTarget(t, { isDegraded: false }),
      ...(cycle === 0 || (phase(t.id) + cycle) % SCORES_SPREAD_CYCLES === 0 ? { scores: t.scoreHistory() } : {}),
      owner: identity,
    }));
  }

  /** Whether the watch may run a cycle now (see TargetOwnership.settled). */
  settled(): boolean {
    return this.ownership.settled();
  }

  /** Stores the state of the targets this replica no longer owns and drops them from memory. */
  private async release(): Promise<void> {
    const { host } = this;
    const leaving = [...host.targets.values()].filter((t) => !this.ownership.owns(shareKey(host.watch, t.labels)));
    const through = host.lastProcessed();
    if (leaving.length === 0 || through === null) {
      return;
    }
    await host.repo.commitCycle({
      watch: host.watch.name,
      lastProcessed: host.unsaved.storedThrough(through, host.watch.step, new Set(leaving)),
      targets: storedTargets(leaving),
      anomalies: [],
      predictions: [],
      forgotten: [],
      // Their groups' latest state too: the new owner takes them up from it.
      peers: host.peers.letGo(leaving.map((t) => t.labels)),
    });
    host.unsaved.saved(leaving);
    for (const t of leaving) {
      host.targets.delete(t.id);
    }
    publishTargetMetrics(host.metrics, host.watch.name, [], leaving);
    host.metrics.targetsWatched.set({ watch: host.watch.name }, host.targets.size);
    host.logger.info({ watch: host.watch.name, targets: leaving.length }, 'targets handed to other replicas');
  }

  /**
   * The chunk [from, ...] of the cycle ending at `end` without the series of targets others own;
   * targets newly owned are resumed from the store and their gap up to `from` scored before the chunk is.
   */
  async take(results: Map<string, RangeSeries[]>, from: number, end: number): Promise<Map<string, RangeSeries[]>> {
    // Per chunk, not per cycle: a target left unscored through a long catch-up would go stale, and
    // a stale target's stored state is deleted, which its new owner resumes from.
    await this.release();
    const { watch, targets } = this.host;
    const owned = new Map<string, RangeSeries[]>();
    const arriving = new Map<string, Record<string, string>>();
    for (const [signal, list] of results) {
      owned.set(
        signal,
        list.filter((s) => {
          const labels = targetLabels(watch, s.labels);
          if (!this.ownership.owns(shareKey(watch, labels))) {
            return false;
          }
          const id = targetId(watch.name, labels);
          if (!targets.has(id)) {
            arriving.set(id, labels);
          }
          return true;
        })
      );
    }
    if (arriving.size > 0) {
      await this.resume(arriving, from, end);
    }
    return owned;
  }

  /**
   * Restores the stored states of the arriving targets and scores each from its stored step up to
   * `from`. A state whose last step is after the cycle's end `cycleEnd` relearns (the runner's relearnAhead)
   * from the watch's history, which is scored for it from its start, as a new watch's is.
   */
  private async resume(arriving: Map<string, Record<string, string>>, from: number, cycleEnd: number): Promise<void> {
    const { host } = this;
    const { watch } = host;
    await host.peers.takeUp(() => host.repo.loadPeers(watch.name), arriving.values(), host.logger, watch.name);
    const resumed: TargetModel[] = [];
    for (const stored of await this.storedStates(new Set(arriving.keys()))) {
      try {
        const model = TargetModel.fromState(
          stored.id,
          watch.name,
          stored.labels,
          kubernetesObject(watch, stored.labels),
          host.settings,
          stored.state
        );
        host.targets.set(model.id, model);
        resumed.push(model);
      } catch (err) {
        host.logger.warn(
          { watch: watch.name, target: stored.id, err: messageOf(err) },
          'stored target state unreadable; relearning it'
        );
      }
    }
    const relearning = new Set(host.relearnAhead(resumed, cycleEnd));
    const historyStart = Math.ceil((cycleEnd - watch.history) / watch.step) * watch.step;
    /** The first step a resumed target has not seen. */
    const unseen = (t: TargetModel) => (relearning.has(t) ? historyStart : t.lastAt + watch.step);
    // Targets with no stored state are new: the chunk's scoring creates them, as it does in one process.
    const behind = resumed.filter((t) => (relearning.has(t) || !Number.isNaN(t.lastAt)) && unseen(t) < from);
    if (behind.length === 0) {
      return;
    }
    const ids = new Set(behind.map((t) => t.id));
    const replayedFrom = Math.min(...behind.map(unseen)) - watch.step;
    // The fetch reads every series of the watch, not only the arriving ones': sized as the catch-up's answers.
    await readInAnswers(
      { from: replayedFrom + watch.step, to: from - watch.step, stepMs: watch.step },
      () => host.answerSteps(),
      (start, end) => host.fetch(start, end),
      async (fetched, start, end) =>
        host.unsaved.changed(await host.score(only(ids, watch, fetched), start, end), start)
    );
    host.logger.info(
      { watch: watch.name, targets: resumed.length, replayedFrom },
      'targets taken over from their stored state; their gap scored'
    );
  }

  private async storedStates(ids: Set<string>) {
    const { targets, unreadable } = await this.host.repo.loadCheckpoint(this.host.watch.name);
    for (const { id, error } of unreadable.filter((u) => ids.has(u.id))) {
      this.host.logger.warn(
        { watch: this.host.watch.name, target: id, err: error },
        'stored target state unreadable; relearning it'
      );
    }
    return targets.filter((t) => ids.has(t.id));
  }
}

/** How often, in cycles, a listed target's score history is written (see WatchShare.summaries). */
export const SCORES_SPREAD_CYCLES = 10;

/** A target's fixed phase in [0, SCORES_SPREAD_CYCLES): a string hash of its id. */
function phase(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) {
    h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
  }
  return (h >>> 0) % SCORES_SPREAD_CYCLES;
}

/** The fetched series of the given targets only. */
function only(ids: Set<string>, watch: WatchConfig, results: Map<string, RangeSeries[]>): Map<string, RangeSeries[]> {
  const out = new Map<string, RangeSeries[]>();
  for (const [signal, list] of results) {
    out.set(
      signal,
      list.filter((s) => ids.has(targetId(watch.name, targetLabels(watch, s.labels))))
    );
  }
  return out;
}
