import { collectDefaultMetrics, Registry } from 'prom-client';

/** The registry /metrics exposes: process metrics plus the failureprophet_* metrics parts register. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
