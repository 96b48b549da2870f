import type { Clock } from '../clock';
import type { Config, WatchConfig } from '../config/schema';
import { PrometheusClient, type PrometheusClientOptions } from '../prometheus/client';
import { grafanaDataSourceClient } from '../prometheus/grafana';
import { ResilientRangeQuerier } from '../prometheus/resilient';
import { PrometheusError } from '../prometheus/types';
import type { RangeQuerier } from './query';

/** What reaching a watch's data takes: the configured sources, the clock (retries' back-off), and overrides for tests. */
export interface SourceDeps {
  config: Pick<Config, 'pipeline' | 'grafana' | 'prometheus'>;
  /** Every step, deadline, retry's back-off and timestamp of the loop. */
  clock: Clock;
  /** Overrides how a watch reaches its data (tests); default from the watch's source. */
  querierFor?: (watch: WatchConfig) => RangeQuerier;
  fetch?: typeof fetch;
}

/** A watch's way to its data, and where that is for the API (a URL, grafana:<uid>, or injected). */
export interface Reach {
  querier: RangeQuerier;
  source: string;
}

/** Longest a query check of a watch being saved may take. */
const QUERY_CHECK_TIMEOUT_MS = 10_000;

/** How a watch reaches its data, or why it cannot (its source is not configured). */
export function reachWatch(
  deps: SourceDeps,
  watch: WatchConfig,
  {
    retries,
    timeoutMs,
    onWarnings,
  }: { retries: number; timeoutMs: number } & Pick<PrometheusClientOptions, 'onWarnings'>
): Reach | string {
  if (deps.querierFor) {
    return { querier: deps.querierFor(watch), source: 'injected' };
  }
  const { prometheus, grafana, pipeline } = deps.config;
  const resilient = (client: PrometheusClient) =>
    new ResilientRangeQuerier(client, {
      maxPoints: pipeline.maxPointsPerQuery,
      retries,
      sleep: (ms) => deps.clock.sleep(ms),
    });
  if (watch.source && 'grafana' in watch.source) {
    if (!grafana.url || !grafana.token) {
      return `reads Grafana data source ${watch.source.grafana}: set FP_GRAFANA_URL and FP_GRAFANA_TOKEN`;
    }
    const client = grafanaDataSourceClient({
      grafanaUrl: grafana.url,
      token: grafana.token,
      uid: watch.source.grafana,
      timeoutMs,
      maxResponseBytes: prometheus.maxResponseBytes,
      fetch: deps.fetch,
      clock: deps.clock,
      onWarnings,
    });
    return { querier: resilient(client), source: `grafana:${watch.source.grafana}` };
  }
  const url = watch.source?.prometheus ?? prometheus.url;
  if (!url) {
    return "has no data source: set FP_PROMETHEUS_URL or the watch's source";
  }
  const client = new PrometheusClient({
    baseUrl: url,
    timeoutMs,
    maxResponseBytes: prometheus.maxResponseBytes,
    fetch: deps.fetch,
    clock: deps.clock,
    onWarnings,
  });
  return { querier: resilient(client), source: client.url };
}

/**
 * Asks each watch's data source to evaluate its queries once, as the loop will (a range query of
 * one step), and returns the PromQL it refused, by watch index and signal. A source that does not
 * answer is not a refusal: the watch will show as degraded once it runs.
 */
export async function refusedQueries(
  deps: SourceDeps,
  watches: WatchConfig[]
): Promise<Array<{ watch: number; signal: string; message: string }>> {
  const checks = watches.flatMap((watch, index) => {
    // Short, and no retries: the answer is awaited by a PUT behind Grafana's proxy (30 s by default).
    const reach = reachWatch(deps, watch, {
      retries: 0,
      timeoutMs: Math.min(QUERY_CHECK_TIMEOUT_MS, deps.config.prometheus.timeout),
    });
    if (typeof reach === 'string') {
      return [];
    }
    const at = Math.floor((deps.clock.now() - watch.lag) / watch.step) * watch.step;
    return Object.entries(watch.queries).map(async ([signal, query]) => {
      try {
        await reach.querier.queryRange({ query, start: at, end: at, stepMs: watch.step });
        return undefined;
      } catch (err) {
        return err instanceof PrometheusError && err.kind === 'query' && err.errorType === 'bad_data'
          ? { watch: index, signal, message: err.message }
          : undefined;
      }
    });
  });
  return (await Promise.all(checks)).filter((r) => r !== undefined);
}
