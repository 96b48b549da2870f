/**
 * How a cycle reads the steps it has to score: the whole history on first sight, the steps missed
 * while the process was down, or the one new step. The range is cut into chunks, each scored and
 * then stored in one transaction (a crash replays at most one chunk), and each chunk into answers
 * of at most `maxPointsPerAnswer` points (series × steps) per query, so that one query_range answer
 * of a large watch stays a few MiB: its JSON text and the objects parsed from it are the largest
 * short-lived allocation of the process, and what the heap grows to during a replay (issue 16:
 * ten steps of 100,000 series were 35 MiB of JSON and a 2.65 GiB peak).
 */

/** Steps scored per chunk of a long catch-up: bounds what a crash loses and how long a transaction is. */
export const CATCH_UP_CHUNK_STEPS = 2000;

/** What cutting a range takes: the watch's step and the points limits (pipeline.maxPointsPerQuery / maxPointsPerAnswer). */
export interface CatchUpLimits {
  stepMs: number;
  /** Points per series in one query (Prometheus refuses more than 11,000). */
  maxPoints: number;
  /** Points of all series together in one answer. */
  maxPointsPerAnswer: number;
}

/**
 * What sizes the next answer: the last answer read (the series its largest query returned, over
 * how many steps), or after a restart the number of targets restored (no steps: no answer yet).
 */
export interface AnswerBasis {
  series: number;
  steps?: number;
  /** An answer outgrew the size limit since the watch had this many series: answers no longer grow. */
  capped?: boolean;
}

/**
 * What an answer for the steps [from, to] leaves to size the next one: the series of its largest
 * query, its steps, and whether answers stay capped (`previous` was, and the series did not drop).
 */
export function basisOf(
  results: Map<string, unknown[]>,
  from: number,
  to: number,
  stepMs: number,
  previous?: AnswerBasis
): AnswerBasis {
  const series = Math.max(0, ...[...results.values()].map((list) => list.length));
  const steps = Math.floor((to - from) / stepMs) + 1;
  if (previous?.capped === true && series >= previous.series) {
    // The cap is the steps that fit: a shorter answer (a cycle's one step) must not lower it.
    return { series, steps: Math.max(previous.steps ?? 1, steps), capped: true };
  }
  return { series, steps };
}

/**
 * The basis after an answer of `steps` steps outgrew the size limit (prometheus.maxResponseBytes):
 * the next answer has half as many, down to one, and answers grow no more (doubling again, every
 * other answer was refused). Its series are unknown (the answer was cut short): the count known
 * stays until an answer is read. Sized as before, the same answer was asked and refused every
 * cycle, and a watch whose targets multiplied while it was behind never caught up.
 */
export function outgrownBasis(basis: AnswerBasis | undefined, steps: number): AnswerBasis {
  return { series: basis?.series ?? 0, steps: Math.floor(steps / 2), capped: true };
}

/** The last step of the chunk that starts at `from`, for a cycle that ends at `end`. */
export function chunkEnd(from: number, end: number, limits: CatchUpLimits): number {
  const steps = Math.min(CATCH_UP_CHUNK_STEPS, limits.maxPoints);
  return Math.min(end, from + (steps - 1) * limits.stepMs);
}

/**
 * Steps the next answer may cover. A new watch's number of series is only known from an answer,
 * so its first answer is one step; after that, as many steps as the budget allows for the series
 * the last answer had, but at most twice its steps (as many once capped: outgrownBasis): a watch
 * that had few series (or none yet, history that starts later) grows its answers step by step
 * rather than jumping to a range whose answer was never sized. Restored targets stand for the
 * series a restarted watch will see.
 */
export function answerSteps(basis: AnswerBasis | undefined, limits: CatchUpLimits): number {
  if (!basis) {
    return 1;
  }
  const budget = Math.floor(limits.maxPointsPerAnswer / Math.max(1, basis.series));
  const growth = basis.steps === undefined ? limits.maxPoints : (basis.capped ? 1 : 2) * basis.steps;
  return Math.max(1, Math.min(limits.maxPoints, growth, budget));
}
