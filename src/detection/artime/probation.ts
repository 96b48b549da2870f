import { WINDOW } from './featureWindow';
import { roundHalfEven } from './windowMath';

/** Feature windows per probation: sets the down-sampling step. */
const WINDOWS_PER_PROBATION = 13;
/** Shortest probation that leaves init_rho a few windows to learn from. */
const MIN_PROBATION = 4 * WINDOW;
/** ARTime's published default probation, in samples (NAB's files: 5-minute steps). */
const DEFAULT_PROBATION = 750;
/**
 * The probation without `trainingPoints`: a length of time, the default's 750 samples at NAB's
 * 5-minute step (62.5 h), so a series scraped every 15 s learns as long as NAB's files did rather
 * than 3 h. Its count of samples is fixed at the second sample, from the step between the first two.
 */
export const ARTIME_PROBATION_MS = DEFAULT_PROBATION * 300_000;
/**
 * Most samples a probation in time takes: its full length down to a 15 s step (Prometheus' default
 * scrape). A first gap of a few milliseconds (a duplicated scrape) would otherwise ask for a probation
 * that never ends; at steps below 15 s the probation is shorter in time.
 */
export const MAX_PROBATION = ARTIME_PROBATION_MS / 15_000;

/** What a probation fixes: its samples, the down-sampling step, and the down-sampled values it holds. */
export interface ProbationPlan {
  probation: number;
  sstep: number;
  trendWindow: number;
}

/** The probation of `samples` (at least MIN_PROBATION, made even) and what follows from it. */
export function planProbation(samples: number): ProbationPlan {
  const atLeast = Math.max(MIN_PROBATION, samples);
  const probation = atLeast - (atLeast % 2);
  const sstep = Math.max(1, roundHalfEven(Math.floor(probation / (WINDOW * WINDOWS_PER_PROBATION))));
  return { probation, sstep, trendWindow: Math.floor(probation / sstep) };
}

/** A probation in time, in samples at the step between a series' first two samples. */
export function samplesInTime(probationMs: number, stepMs: number): number {
  return Math.min(MAX_PROBATION, Math.round(probationMs / stepMs));
}
