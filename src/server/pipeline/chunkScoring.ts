import type { WatchConfig } from '../config/schema';
import type { RangeSeries } from '../prometheus/types';
import { alignChunk, alignStep, SeriesTargets } from './alignment';
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
}

/** Scores a watch's answers step by step over every target, and counts the series they had. */
export class WatchScoring {
  /** Series in the last answer scored. */
  series = 0;
  /** Series each query matched in the last answer scored, for the line logged after the first cycle. */
  readonly seriesBySignal = new Map<string, number>();
  /** Time spent scoring (not reading), in all: the cycle's share of it is its scoring time. */
  scoringMs = 0;
  private readonly seriesTargets: SeriesTargets;

  constructor(private readonly deps: ScoringDeps) {
    this.seriesTargets = new SeriesTargets(deps.watch);
  }

  /** Scores the steps [from, to] of the fetched series; returns the targets that changed. */
  async score(results: Map<string, RangeSeries[]>, from: number, to: number): Promise<TargetModel[]> {
    const { watch, querier, metrics, targets, settings, baseThreshold, peers } = this.deps;
    const started = performance.now();
    const seenBefore = targets.size;
    const chunk = alignChunk(watch, results, targets, settings, baseThreshold, this.seriesTargets);
    for (const [signal, n] of chunk.seriesBySignal) {
      this.seriesBySignal.set(signal, n);
    }
    this.series = chunk.series;
    metrics.seriesWatched.set({ watch: watch.name }, chunk.series);
    const asked = metrics.countPhase(watch.name, 'align', started);
    // Scrape health says why a target seen before has no sample (vanished.ts); it is asked only
    // when one lacks some, and reads the targets known before this chunk (alignment adds new ones
    // at the end of the map).
    const known = () => new Map([...targets].slice(0, seenBefore));
    const health = await fetchScrapeHealth(querier, watch, results, chunk, known, from, to);
    const aligning = metrics.countPhase(watch.name, 'query', asked);
    const aligned = [...chunk.targets.values()];
    const peerGroups = peers.of(aligned);
    // Targets gone from the answer are stepped too: a target whose series vanish is a fault (vanished.ts).
    const all = [...aligned, ...chunk.absent];
    for (let t = from; t <= to; t += watch.step) {
      alignStep(all, t);
      const peerScores = peers.score(peerGroups);
      const absences = absencesAt(watch, all, health, t);
      for (const a of all) {
        a.target.step(t, a.values, peerScores.get(a.target.id), absences.get(a.target.id));
      }
    }
    // Scoring time is aligning and stepping, not the look-up of `up` between them.
    this.scoringMs += asked - started + metrics.countPhase(watch.name, 'score', aligning) - aligning;
    // An absent target that was not scored (removed on purpose, or a detector that ignores gaps) did not change.
    return all.filter((a) => a.cursors.length > 0 || a.target.seenAt >= from).map((a) => a.target);
  }
}
