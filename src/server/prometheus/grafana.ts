import type { Clock } from '../clock';
import { PrometheusClient, type PrometheusClientOptions } from './client';

export interface GrafanaDataSourceOptions {
  grafanaUrl: string;
  /** A Grafana service-account token allowed to query the data source. */
  token: string;
  uid: string;
  timeoutMs: number;
  maxResponseBytes?: number;
  fetch?: typeof fetch;
  clock?: Pick<Clock, 'after'>;
  onWarnings?: PrometheusClientOptions['onWarnings'];
}

/**
 * A Prometheus client that goes through Grafana's data-source proxy, so the data source's own
 * auth (basic auth, bearer tokens, TLS client certificates, SigV4) applies without the backend
 * holding those secrets.
 */
export function grafanaDataSourceClient(options: GrafanaDataSourceOptions): PrometheusClient {
  return new PrometheusClient({
    baseUrl: `${options.grafanaUrl.replace(/\/+$/, '')}/api/datasources/proxy/uid/${encodeURIComponent(options.uid)}`,
    timeoutMs: options.timeoutMs,
    maxResponseBytes: options.maxResponseBytes,
    headers: { Authorization: `Bearer ${options.token}` },
    fetch: options.fetch,
    clock: options.clock,
    onWarnings: options.onWarnings,
  });
}
