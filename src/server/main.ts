import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config/load';
import type { Config } from './config/schema';
import { resolveTokens } from './config/token';
import { ListWorkers } from './http/lists/pool';
import { defaultListWorkers, LIST_WORKER_IDLE_MS, LIST_WORKER_LIMITS, listWorkerScript } from './http/lists/script';
import { buildServer, servedRoutes } from './http/server';
import { createLogger } from './logger';
import { assembleBackend } from './assemble';
import { systemClock } from './clock';
import { LeadershipConfigError } from './coordination/leadership';
import { createMetricsRegistry } from './metrics';
import { PrometheusClient } from './prometheus/client';
import { SecretError } from './store/secrets';
import { MigrationError } from './store/migrate';
import { describeUrl, StoreUnavailableError } from './store/postgres/pool';
import { openStore } from './store/open';
import { registerStoreWritable } from './store/writeHealth';
import { dataDirFailure, listenFailure, StartupFailure } from './startup';
import { startSummary } from './summary';
import { VERSION } from './version';
import { counted } from '../utils/count';
import { codeOf, stackOf } from '../utils/messageOf';

// Entry: config → store → loops → http. Everything is built here and passed down; no singletons.
async function main(): Promise<void> {
  const config = readConfig();
  // The one clock every loop, deadline and timestamp reads: tests pass theirs instead.
  const clock = systemClock;
  const logger = createLogger(config.logLevel);
  const dataDir = resolve(config.dataDir);
  let store;
  try {
    store = await openStore({
      dataDir,
      url: config.store.url,
      maxConnections: config.store.maxConnections,
      now: clock.now,
      warn: (message) => logger.warn(message),
      writeLog: { warn: (message) => logger.warn(message), info: (message) => logger.info(message) },
      walCheckpoints: {
        onStopped: (why) => logger.warn(`SQLite's WAL checkpointer stopped (${why}); commits write the WAL back again`),
      },
      onConnectionLost: (err) => logger.warn({ err }, 'PostgreSQL closed an idle connection; the next call reconnects'),
    });
  } catch (err) {
    if (err instanceof SecretError) {
      throw new StartupFailure(err.message, 2);
    }
    throw err instanceof StoreUnavailableError || err instanceof MigrationError
      ? new StartupFailure(err.message)
      : dataDirFailure(err, dataDir, config.dataDir);
  }
  let tokens;
  try {
    tokens = resolveTokens(config, dataDir);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new StartupFailure(err.message, 2);
    }
    // A token file the data dir cannot hold (a full disk, a directory in its place): Node's error code.
    throw codeOf(err) === undefined ? err : dataDirFailure(err, dataDir, config.dataDir);
  }
  logger.info({ api: tokens.api.source, alerts: tokens.alerts.source }, 'API and alert-intake tokens loaded');

  const prometheus = config.prometheus.url
    ? new PrometheusClient({
        baseUrl: config.prometheus.url,
        timeoutMs: config.prometheus.timeout,
        maxResponseBytes: config.prometheus.maxResponseBytes,
        clock,
      })
    : undefined;
  if (!prometheus) {
    logger.warn(
      'no Prometheus configured: set FP_PROMETHEUS_URL=http://<host>:9090 (or prometheus.url in the FP_CONFIG file); /readyz reports not ready until then'
    );
  }
  if (config.grafana.url && !config.grafana.token) {
    logger.warn(
      `FP_GRAFANA_URL is ${config.grafana.url} but no Grafana token is set: anomalies will NOT be annotated on dashboards; set FP_GRAFANA_TOKEN (or FP_GRAFANA_TOKEN_FILE) to a service-account token with the Editor role`
    );
  }

  if (config.store.url) {
    logger.info(
      { postgres: describeUrl(config.store.url) },
      "store.url (FP_DATABASE_URL): settings, the watch loop's and the healing state are in PostgreSQL, shared by the replicas on it; one of them leads (executes actions), and they share the watches"
    );
    if (!process.env.FP_SECRET_KEY?.trim()) {
      logger.warn(
        `FP_SECRET_KEY is not set: secrets saved in PostgreSQL are sealed with this replica's key file in ${dataDir}; give every replica the same FP_SECRET_KEY, or another replica cannot read them`
      );
    }
  }

  const metrics = createMetricsRegistry();
  registerStoreWritable(metrics, store.writeHealth);
  let backend;
  try {
    backend = await assembleBackend({ config, store, logger, metrics, clock });
  } catch (err) {
    throw err instanceof LeadershipConfigError ? new StartupFailure(err.message, 2) : err;
  }
  const { pipeline, healing, leadership } = backend;
  // Watches that are off were named by the pipeline already, with what to set.
  for (const watch of pipeline.watches().filter((w) => w.lastError?.kind !== 'unconfigured')) {
    logger.info(
      { watch: watch.name, source: watch.source },
      `watch ${watch.name}: ${counted(Object.keys(watch.queries).length, 'query', 'queries')} on ${watch.source} every ${watch.stepSeconds} s; its series are counted after the first cycle`
    );
  }

  // List pages are read on worker threads from the SQLite file (PostgreSQL's reads are already off the loop);
  // none starts until a list is asked for.
  const listWorkerCount = config.server.listWorkers ?? defaultListWorkers();
  const listWorkers =
    store.kind === 'sqlite' && store.db.name !== ':memory:' && listWorkerCount > 0
      ? new ListWorkers({
          script: listWorkerScript(process.argv[1]),
          database: store.db.name,
          workers: listWorkerCount,
          maxQueued: config.server.listQueue,
          idleMs: LIST_WORKER_IDLE_MS,
          resourceLimits: LIST_WORKER_LIMITS,
          clock,
          onStopped: (why) => logger.warn({ why }, 'a list worker stopped; its page was answered 503'),
        })
      : undefined;
  const app = await buildServer({
    logger,
    apiToken: tokens.api.token,
    alertToken: tokens.alerts.token,
    store,
    prometheus,
    metrics,
    clock,
    version: VERSION,
    watchStatus: () => pipeline.watches(),
    leadership,
    authenticatedRoutes: backend.routes,
    metricsAccess: config.metrics,
    maxConcurrentRequests: config.server.maxConcurrentRequests,
    maxEventLoopDelay: config.server.maxEventLoopDelay,
    listWorkers,
  });
  logger.debug(
    { routes: servedRoutes(app).map((r) => `${r.method} ${r.url} (${r.access})`) },
    'routes and who may call them'
  );
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await store.close();
    throw listenFailure(err, config.host, config.port);
  }
  logger.info(
    { port: config.port, dataDir, prometheus: prometheus?.url ?? null, version: VERSION },
    'failureprophet backend started'
  );
  leadership.start();
  pipeline.start();
  // Its first tick reconciles what a stopped process left executing.
  healing.start(config.healing.tickInterval);
  // On the healing tick's cadence: the same once-an-hour prune, a batch per tick, on the leader.
  backend.detectionRetention.start(clock, config.healing.tickInterval);
  const stopSummary = startSummary(
    logger,
    async () => ({
      watches: pipeline.watches(),
      openAnomalies: pipeline.openAnomalyCount(),
      awaitingApproval: await healing.actions.countInState('awaiting_approval'),
    }),
    clock
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopSummary();
    try {
      // Halted first: closing the HTTP server waits for the requests in flight, and a "Retrain now" waits
      // for its retraining, which only the halt cuts short (else its deadline, an hour or more: far past
      // Kubernetes' 30 s grace). Stopped after: a watch reload a request made is in place, and flushed too.
      pipeline.halt();
      await app.close();
      await pipeline.stop();
      // Its targets' state is stored: the other replicas may take them up now.
      await backend.sharing?.stop();
      // The leader leads until its engine stopped, then lets the next replica take over at once.
      await leadership.stop();
      await healing.stop();
      await backend.detectionRetention.stop();
      await leadership.release();
    } finally {
      await store.close();
      logger.info('stopped');
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    throw err instanceof ConfigError ? new StartupFailure(err.message, 2) : err;
  }
}

main().catch((err) => {
  // A failure we understand is one sentence; anything else keeps its stack, as it is a bug to report.
  if (err instanceof StartupFailure) {
    process.stderr.write(`failureprophet: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`failureprophet: failed to start: ${stackOf(err)}\n`);
  process.exit(1);
});
