import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config/load';
import { resolveTokens } from './config/token';
import { buildServer, servedRoutes } from './http/server';
import { createLogger } from './logger';
import { assembleBackend } from './assemble';
import { KubernetesConfigError } from './healing/build';
import { createMetricsRegistry } from './metrics';
import { PrometheusClient } from './prometheus/client';
import { SecretError } from './store/secrets';
import { openSqliteStore } from './store/sqlite';
import { VERSION } from './version';

// Entry: config → store → loops → http. Everything is built here and passed down; no singletons.
async function main(): Promise<void> {
  let config;
  let tokens;
  try {
    config = loadConfig();
    tokens = resolveTokens(config, resolve(config.dataDir));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`failureprophet: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const dataDir = resolve(config.dataDir);
  let store;
  try {
    store = openSqliteStore(dataDir, Date.now, { warn: (message) => logger.warn(message) });
  } catch (err) {
    if (err instanceof SecretError) {
      process.stderr.write(`failureprophet: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  logger.info({ api: tokens.api.source, alerts: tokens.alerts.source }, 'API and alert-intake tokens loaded');

  const prometheus = config.prometheus.url
    ? new PrometheusClient({
        baseUrl: config.prometheus.url,
        timeoutMs: config.prometheus.timeout,
        maxResponseBytes: config.prometheus.maxResponseBytes,
      })
    : undefined;
  if (!prometheus) {
    logger.warn(
      'no Prometheus configured: set FP_PROMETHEUS_URL=http://<host>:9090 (or prometheus.url in the FP_CONFIG file); /readyz reports not ready until then'
    );
  }

  const metrics = createMetricsRegistry();
  let backend;
  try {
    backend = assembleBackend({ config, store, logger, metrics });
  } catch (err) {
    if (err instanceof KubernetesConfigError) {
      process.stderr.write(`failureprophet: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { pipeline, healing } = backend;

  const app = await buildServer({
    logger,
    apiToken: tokens.api.token,
    alertToken: tokens.alerts.token,
    store,
    prometheus,
    metrics,
    version: VERSION,
    watchStatus: () => pipeline.watches(),
    authenticatedRoutes: backend.routes,
  });
  logger.debug(
    { routes: servedRoutes(app).map((r) => `${r.method} ${r.url} (${r.access})`) },
    'routes and who may call them'
  );
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    { port: config.port, dataDir, prometheus: prometheus?.url ?? null, version: VERSION },
    'failureprophet backend started'
  );
  pipeline.start();
  // Its first tick reconciles what a stopped process left executing.
  healing.start(config.healing.tickInterval);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await app.close();
      await pipeline.stop();
      await healing.stop();
    } finally {
      store.close();
      logger.info('stopped');
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`failureprophet: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
