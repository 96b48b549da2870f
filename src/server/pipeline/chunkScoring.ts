import type { Clock } from '../clock';
import type { WatchConfig } from '../config/schema';
import type { RangeSeries } from '../prometheus/types';
import { AnswerAlignment } from './alignment';
import { ITEMS_A_LOOK, LoopTurns } from './loopTurns';
import type { PipelineMetrics } from './metrics';
import type { PeerGroups } from './peerGroups';
import type { RangeQuerier } from './query';
import type { TargetModel, TargetSettings } from './targetModel';
import { absencesAt, fetchScrapeHealth } from './vanished';

/** What scoring a watch's answers takes: the watch, its targets (new ones are added) and its peer groups. */
export interface ScoringDeps {
  watch: WatchConfig;
  querier: RangeQuerier;
  metrics: PipelineMetrics;
  targets: Map<string, TargetModel>;
  settings: TargetSettings;
  baseThreshold: number;
  peers: PeerGroups;
  /** Whose time the event loop's turns are measured in (loopTurns.ts). */
  clock: Pick<Clock, 'elapsed'>;
  /** Aborted once the backend stops: the scrape-health look-up in flight ends (watchRunnerDeps.ts). */
  stopping?: AbortSignal;
}

/** Scores a watch's answers step by step over every target, and counts the series they had. */
export class WatchScoring {
  /** Time spent scoring (not reading), in all: the cycle's share of it is its scoring time. */
  scoringMs = 0;
  private readonly alignment: AnswerAlignment;

  constructor(private readonly deps: ScoringDeps) {
    this.alignment = new AnswerAlignment({ ...deps, known: deps.targets });
  }

  /** Series in the last answer scored. */
  get series(): number {
    return this.alignment.series;
  }

  /** Series each query matched in the last answer scored, for the line logged after the first cycle. */
  get seriesBySignal(): Map<string, number> {
    return this.alignment.seriesBySignal;
  }

  /** Scores the steps [from, to] of the fetched series; returns the targets that changed. */
  async score(results: Map<string, RangeSeries[]>, from: number, to: number): Promise<TargetModel[]> {
    const elapsed = () => this.deps.clock.elapsed();
    const started = elapsed();
    const seenBefore = this.deps.targets.size;
    const turns = new LoopTurns(elapsed);
    try {
      await this.alignment.align(results, turns);
      return await this.scoreAligned(results, from, to, started, seenBefore, turns);
    } finally {
      // The answer's series are let go before the next is read.
      this.alignment.release();
    }
  }

  private async scoreAligned(
    results: Map<string, RangeSeries[]>,
    from: number,
    to: number,
    started: number,
    seenBefore: number,
    turns: LoopTurns
  ): Promise<TargetModel[]> {
    const { watch, querier, metrics, targets, peers, clock, stopping } = this.deps;
    const { alignment } = this;
    metrics.seriesWatched.set({ watch: watch.name }, alignment.series);
    const asked = metrics.countPhase(watch.name, 'align', started, clock.elapsed());
    // Scrape health says why a target seen before has no sample (vanished.ts); it is asked only
    // when one lacks some, and reads the targets known before this answer (alignment adds new ones
    // at the end of the map).
    const known = () => new Map([...targets].slice(0, seenBefore));
    const absent = alignment.targets.length - alignment.present;
    const health = await fetchScrapeHealth(querier, watch, results, absent, known, from, to, stopping);
    const aligning = metrics.countPhase(watch.name, 'query', asked, clock.elapsed());
    const peerGroups = peers.of(alignment);
    // Targets gone from the answer are stepped too: a target whose series vanish is a fault (vanished.ts).
    const all = alignment.targets;
    for (let t = from; t <= to; t += watch.step) {
      alignment.step(t);
      const peerScores = peers.score(peerGroups, alignment);
      const absences = absencesAt(watch, alignment, health, t);
      for (let i = 0; i < all.length; i++) {
        const target = all[i];
        target.step(t, alignment.valuesOf(i), peerScores.get(target.id), absences.get(target.id));
        if (i % ITEMS_A_LOOK === ITEMS_A_LOOK - 1 && turns.due) {
          // Safe: cycles and retraining of this watch never interleave (WatchRunner.exclusive).
          await turns.give();
        }
      }
    }
    // Scoring time is aligning and stepping, not the look-up of `up` between them.
    this.scoringMs += asked - started + metrics.countPhase(watch.name, 'score', aligning, clock.elapsed()) - aligning;
    // An absent target that was not scored (removed on purpose, or a detector that ignores gaps) did not change.
    return all.filter((target, i) => i < alignment.present || target.seenAt >= from);
  }
}
