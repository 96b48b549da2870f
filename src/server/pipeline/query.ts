import { messageOf } from '../../utils/messageOf';
import type { WatchStatus } from '../../contract/pipeline';
import type { WatchConfig } from '../config/schema';
import type { RangeQuery, WarningsHeard } from '../prometheus/client';
import { answerTimesFault } from '../prometheus/sampleTimes';
import { PrometheusError, type RangeSeries } from '../prometheus/types';

/**
 * Where a watch reads its series from (Prometheus, or a Grafana data source) after retries. Once
 * `abort` aborts, the query ends (its request too) and rejects with the abort's reason.
 */
export interface RangeQuerier {
  /** `heard` is told what each answer warns of (Prometheus' warnings and infos), when the querier reads them. */
  queryRange(q: RangeQuery, abort?: AbortSignal, heard?: WarningsHeard): Promise<RangeSeries[]>;
}

/** Thrown by a cycle when a query failed after its retries: the watch is degraded, the others go on. */
export class WatchQueryError extends Error {
  constructor(
    readonly watch: string,
    readonly error: PrometheusError,
    /** The watch's query that failed. */
    readonly signal: string
  ) {
    super(`watch ${watch}: ${error.message}`);
    this.name = 'WatchQueryError';
  }
}

/** A query failed for an answer larger than prometheus.maxResponseBytes: one of fewer steps may be read. */
export function answerOutgrown(err: unknown): boolean {
  return err instanceof WatchQueryError && err.error.kind === 'too_large';
}

/**
 * Reads the steps [from, to] answer by answer, each handled before the next is fetched (one answer's
 * series in memory), each of at most `steps()` steps; the catch-up, a takeover's gap and retraining
 * all read so. An answer of several steps that outgrew the size limit is asked again with half as
 * many, or fewer if `steps()` says so (the runner's fetch narrowed its answers: outgrownBasis), and
 * the answers after it grow no more; one step too large fails. Returns the last step read: `to`, or
 * an earlier one once `stop` aborted (the backend is stopping: a long replay must not hold its
 * shutdown, and the caller stores what was read). An answer the stop aborted ends the read at the
 * answer before it, or rejects when it was the first.
 */
export async function readInAnswers<A>(
  range: { from: number; to: number; stepMs: number; stop?: AbortSignal },
  steps: () => number,
  fetch: (from: number, to: number) => Promise<A>,
  handle: (answer: A, from: number, to: number) => Promise<void>
): Promise<number> {
  const { stepMs, stop } = range;
  let cap = Infinity;
  let at = range.from;
  while (at <= range.to) {
    const until = Math.min(range.to, at + (Math.min(steps(), cap) - 1) * stepMs);
    let answer: A;
    try {
      answer = await fetch(at, until);
    } catch (err) {
      if (stop?.aborted && at > range.from) {
        break;
      }
      if (until > at && answerOutgrown(err)) {
        cap = Math.floor(((until - at) / stepMs + 1) / 2);
        continue;
      }
      throw err;
    }
    await handle(answer, at, until);
    at = until + stepMs;
    if (stop?.aborted) {
      break;
    }
  }
  return at - stepMs;
}

/** What identifies a watch's definition: any difference means its learned state no longer applies. */
export function watchDefinition(watch: WatchConfig): string {
  return JSON.stringify(watch);
}

/**
 * The steps [from, to] of every query of the watch, by signal; a failed query throws a
 * WatchQueryError (the first failed one in the watch's order). The queries are asked together:
 * Prometheus evaluates one while the answer of another is read. Once `abort` aborts, an unanswered
 * query rejects with its reason instead: the caller stopped waiting, and no query failed. When every
 * query answered, `heard` is told what each one's answer warned of (none: an empty list).
 */
export async function fetchChunk(
  querier: RangeQuerier,
  watch: WatchConfig,
  from: number,
  to: number,
  abort?: AbortSignal,
  heard?: (signal: string, warnings: string[]) => void
): Promise<Map<string, RangeSeries[]>> {
  const queries = Object.entries(watch.queries);
  const warned = queries.map((): string[] => []);
  const answers = await Promise.allSettled(
    queries.map(([, query], i) =>
      querier.queryRange({ query, start: from, end: to, stepMs: watch.step }, abort, (warnings) =>
        warned[i].push(...warnings)
      )
    )
  );
  const results = new Map<string, RangeSeries[]>();
  for (const [i, answer] of answers.entries()) {
    const signal = queries[i][0];
    if (answer.status === 'rejected' && abort?.aborted) {
      throw abort.reason;
    }
    if (answer.status === 'rejected') {
      const err: unknown = answer.reason;
      const error = err instanceof PrometheusError ? err : new PrometheusError('malformed', messageOf(err));
      throw new WatchQueryError(watch.name, error, signal);
    }
    // Checked here, not by the client: the watch walks each series' samples with its steps.
    const fault = answerTimesFault(answer.value, { start: from, stepMs: watch.step });
    if (fault) {
      throw new WatchQueryError(watch.name, fault, signal);
    }
    results.set(signal, answer.value);
  }
  for (const [i, [signal]] of queries.entries()) {
    heard?.(signal, warned[i]);
  }
  return results;
}

/** What the API says of a watch's definition, running or off. */
export function watchIdentity(
  watch: WatchConfig
): Pick<WatchStatus, 'name' | 'queries' | 'targetLabels' | 'stepSeconds' | 'historySeconds'> {
  return {
    name: watch.name,
    queries: watch.queries,
    targetLabels: watch.target,
    stepSeconds: watch.step / 1000,
    historySeconds: watch.history / 1000,
  };
}
