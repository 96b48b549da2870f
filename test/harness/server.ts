import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { assembleBackend, type Backend } from '../../src/server/assemble';
import { systemClock, type Clock } from '../../src/server/clock';
import { configSchema, type Config } from '../../src/server/config/schema';
import { buildServer, type App, type ServerDeps } from '../../src/server/http/server';
import { createMetricsRegistry } from '../../src/server/metrics';
import { PrometheusClient } from '../../src/server/prometheus/client';
import type { PostgresStore } from '../../src/server/store/postgres';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';

export const API_TOKEN = 'a-token-of-sixteen-chars';
/** The headers the routes behind the bearer token want. */
export const AUTH = { authorization: `Bearer ${API_TOKEN}` };
export const ALERT_TOKEN = 'an-alert-intake-token-only';
/** The headers of an alert sender (Alertmanager, a Grafana contact point). */
export const ALERT_AUTH = { authorization: `Bearer ${ALERT_TOKEN}` };

/** The backend's HTTP server over a test's store and metrics, silent, with only the routes the test calls (through `app.inject`). */
export function injectingApp(
  deps: Pick<ServerDeps, 'store' | 'metrics'>,
  routes: NonNullable<ServerDeps['authenticatedRoutes']>
): Promise<App> {
  return buildServer({
    logger: pino({ level: 'silent' }),
    apiToken: API_TOKEN,
    alertToken: ALERT_TOKEN,
    store: deps.store,
    metrics: deps.metrics,
    version: 'test',
    authenticatedRoutes: routes,
  });
}

export interface AssembledApp<S extends SqliteStore | PostgresStore = SqliteStore> {
  app: App;
  backend: Backend;
  store: S;
  config: Config;
  close(): Promise<void>;
}

/**
 * The whole backend as src/server/main.ts builds it (every route, both tokens, the pipeline's
 * watch status for /readyz), in a fresh data dir, silent, not listening and with no loop started.
 * `config` is the FP_CONFIG content (dataDir is filled in); `clock` what every part reads time from.
 */
export async function assembledApp(
  config: Record<string, unknown> = { watches: [] },
  clock: Clock = systemClock
): Promise<AssembledApp> {
  return assembledOn((dir) => openSqliteStore(dir), config, clock);
}

/** The same backend on a store of the test's (PostgreSQL: `openPostgresStore`), closed with it. */
export async function assembledOn<S extends SqliteStore | PostgresStore>(
  open: (dataDir: string) => S | Promise<S>,
  config: Record<string, unknown> = { watches: [] },
  clock: Clock = systemClock
): Promise<AssembledApp<S>> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-assembled-'));
  const parsed = configSchema.parse({ ...config, dataDir: dir });
  const logger = pino({ level: 'silent' });
  const store = await open(dir);
  const metrics = createMetricsRegistry();
  const backend = await assembleBackend({ config: parsed, store, logger, metrics, clock });
  const app = await buildServer({
    logger,
    apiToken: API_TOKEN,
    alertToken: ALERT_TOKEN,
    store,
    prometheus: parsed.prometheus.url
      ? new PrometheusClient({ baseUrl: parsed.prometheus.url, timeoutMs: parsed.prometheus.timeout })
      : undefined,
    metrics,
    clock,
    version: 'test',
    watchStatus: () => backend.pipeline.watches(),
    authenticatedRoutes: backend.routes,
  });
  return {
    app,
    backend,
    store,
    config: parsed,
    close: async () => {
      try {
        await app.close();
        await backend.pipeline.stop();
        await backend.healing.stop();
        await backend.sharing?.stop();
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
