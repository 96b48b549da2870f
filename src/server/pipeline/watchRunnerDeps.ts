import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { WatchConfig } from '../config/schema';
import type { AnomalyListener } from './listener';
import type { PipelineMetrics } from './metrics';
import type { TargetOwnership } from './ownership';
import type { RangeQuerier } from './query';
import type { PipelineRepository } from './store/repository';

/** What a WatchRunner (watchRunner.ts) is built from. */
export interface RunnerOptions {
  detailPoints: number;
  staleAfterMs: number;
  maxPoints: number;
  /** Points of all series together in one answer of a catch-up (catchUp.ts). */
  maxPointsPerAnswer: number;
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
  /**
   * Aborted once the backend stops: a cycle's queries in flight end (their requests too), and a replay
   * or catch-up ends with the answers it read, stored (it resumes there).
   */
  stopping?: AbortSignal;
}
