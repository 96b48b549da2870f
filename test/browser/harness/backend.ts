import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleBackend } from '../../../src/server/assemble';
import { systemClock } from '../../../src/server/clock';
import { configSchema } from '../../../src/server/config/schema';
import type { HealingEngine } from '../../../src/server/healing';
import { buildServer, type App } from '../../../src/server/http/server';
import { createLogger } from '../../../src/server/logger';
import { createMetricsRegistry } from '../../../src/server/metrics';
import type { Pipeline } from '../../../src/server/pipeline/pipeline';
import { openSqliteStore, type SqliteStore } from '../../../src/server/store/sqlite';
import { startKubeTestServer, type KubeTestServer } from '../../kube/server';

export const BACKEND_TOKEN = 'browser-test-token-0123456789';
const KUBE_TOKEN = 'browser-test-kube-token';

export interface RunningBackend {
  url: string;
  token: string;
  app: App;
  store: SqliteStore;
  pipeline: Pipeline;
  healing: HealingEngine;
  /** The Kubernetes API test server the healing engine acts on (add deployments, read what it did). */
  kube: KubeTestServer;
  /** Calls the backend directly (as the test, not through Grafana's proxy). */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The real backend, wired as src/server/main.ts wires it (pipeline, healing engine, every route),
 * in this process on a random port, with a fresh store and the Kubernetes API test server as its
 * cluster. The pipeline is built but its loop is not started (no Prometheus in browser tests);
 * the healing engine ticks, so approved actions execute.
 */
export async function startBackend(): Promise<RunningBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-browser-backend-'));
  const kube = await startKubeTestServer({ token: KUBE_TOKEN });
  const config = configSchema.parse({
    apiToken: BACKEND_TOKEN,
    dataDir: dir,
    logLevel: 'warn',
    watches: [],
    kubernetes: { mode: 'endpoint', url: kube.url, token: KUBE_TOKEN },
    healing: { tickInterval: 200 },
  });
  const logger = createLogger('warn');
  const store = openSqliteStore(dir);
  const metrics = createMetricsRegistry();
  const { pipeline, healing, leadership, sharing, routes } = await assembleBackend({
    config,
    store,
    logger,
    metrics,
    clock: systemClock,
  });
  const app = await buildServer({
    logger,
    apiToken: BACKEND_TOKEN,
    store,
    metrics,
    version: 'browser-test',
    authenticatedRoutes: routes,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  // With Kubernetes configured, the engine executes once this replica holds the Lease.
  leadership.start();
  healing.start(config.healing.tickInterval);
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return {
    url,
    token: BACKEND_TOKEN,
    app,
    store,
    pipeline,
    healing,
    kube,
    request: async (method, path, body) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${BACKEND_TOKEN}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
      };
    },
    // In main.ts's order; the watch-sharing heartbeat (every 5 s) kept Jest's process from exiting.
    close: async () => {
      await app.close();
      await pipeline.stop();
      await sharing?.stop();
      await leadership.stop();
      await healing.stop();
      await leadership.release();
      store.close();
      await kube.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
