import { untilAborted } from '../abortable';
import type { PrometheusClient, RangeQuery, WarningsHeard } from './client';
import { PrometheusError, type RangeSeries } from './types';
import { promqlLabelName } from '../../contract/vocabulary';

export interface ResilientOptions {
  /** Prometheus refuses more than 11,000 points per series in one query_range. */
  maxPoints?: number;
  /** Further attempts after a transient failure. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Waits between attempts: the server clock's sleep (tests pass one that does not wait). */
  sleep: (ms: number) => Promise<void>;
  /** Injected for deterministic jitter; default Math.random. */
  random?: () => number;
}

/**
 * query_range over any length of time: the range is split into pieces Prometheus accepts, and
 * each piece is retried on transient failures (5xx, 429, timeout, unreachable) with exponential
 * backoff and full jitter (so many watches failing at once do not retry in lockstep).
 */
export class ResilientRangeQuerier {
  private readonly maxPoints: number;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly client: PrometheusClient,
    options: ResilientOptions
  ) {
    this.maxPoints = options.maxPoints ?? 11_000;
    this.retries = options.retries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.sleep = options.sleep;
    this.random = options.random ?? Math.random;
  }

  /** The pieces [start, end] is cut into, each at most maxPoints steps, aligned on the step grid. */
  static split(q: RangeQuery, maxPoints: number): RangeQuery[] {
    const pieces: RangeQuery[] = [];
    const span = (maxPoints - 1) * q.stepMs;
    for (let start = q.start; start <= q.end; start += span + q.stepMs) {
      pieces.push({ ...q, start, end: Math.min(q.end, start + span) });
    }
    return pieces;
  }

  /**
   * `signal` aborts the piece in flight, or the back-off before the next attempt: the query then
   * rejects with its reason (PrometheusClient.queryRange). `heard` is told each piece's warnings.
   */
  async queryRange(q: RangeQuery, signal?: AbortSignal, heard?: WarningsHeard): Promise<RangeSeries[]> {
    const pieces = ResilientRangeQuerier.split(q, this.maxPoints);
    // One piece (every live cycle): its series as answered, with no key built per series to join them.
    if (pieces.length === 1) {
      return this.withRetries(() => this.client.queryRange(pieces[0], signal, heard), signal);
    }
    const merged = new Map<string, { labels: Record<string, string>; parts: RangeSeries[] }>();
    for (const piece of pieces) {
      for (const series of await this.withRetries(() => this.client.queryRange(piece, signal, heard), signal)) {
        const key = labelKey(series.labels);
        const entry = merged.get(key) ?? { labels: series.labels, parts: [] };
        entry.parts.push(series);
        merged.set(key, entry);
      }
    }
    return [...merged.values()].map(({ labels, parts }) => concat(labels, parts));
  }

  private async withRetries<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const transient = err instanceof PrometheusError && err.transient;
        if (!transient || attempt >= this.retries) {
          throw err;
        }
        // The caller stopped waiting: nothing is retried, nor reported as failed.
        signal?.throwIfAborted();
        const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
        await untilAborted(this.sleep(Math.round(this.random() * cap)), signal);
      }
    }
  }
}

/** A series' labels as one key, names written as PromQL writes them (quoted unless classic), so no two sets share one. */
export function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${promqlLabelName(k)}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/** Joins the pieces of one series, keeping timestamps strictly increasing (pieces never overlap, but a proxy might). */
function concat(labels: Record<string, string>, parts: RangeSeries[]): RangeSeries {
  if (parts.length === 1) {
    return parts[0];
  }
  const total = parts.reduce((n, p) => n + p.timestamps.length, 0);
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  let n = 0;
  for (const part of parts) {
    for (let i = 0; i < part.timestamps.length; i++) {
      if (n === 0 || part.timestamps[i] > timestamps[n - 1]) {
        timestamps[n] = part.timestamps[i];
        values[n++] = part.values[i];
      }
    }
  }
  return { labels, timestamps: timestamps.subarray(0, n), values: values.subarray(0, n) };
}
