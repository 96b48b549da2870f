import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { buildServer, type App } from '../../../src/server/http/server';
import { createLogger } from '../../../src/server/logger';
import { createMetricsRegistry } from '../../../src/server/metrics';
import { openSqliteStore, type SqliteStore } from '../../../src/server/store/sqlite';

export const BACKEND_TOKEN = 'browser-test-token-0123456789';

export interface RunningBackend {
  url: string;
  token: string;
  app: App;
  store: SqliteStore;
  /** Calls the backend directly (as the test, not through Grafana's proxy). */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The real backend (buildServer) in this process, on a random port, with a fresh store. Pass the
 * route plugins to mount; `routes(store)` gets the store so routes can share it.
 */
export async function startBackend(
  routes: (store: SqliteStore) => FastifyPluginAsyncZod[] = () => []
): Promise<RunningBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-browser-backend-'));
  const store = openSqliteStore(dir);
  const app = await buildServer({
    logger: createLogger('warn'),
    apiToken: BACKEND_TOKEN,
    store,
    metrics: createMetricsRegistry(),
    version: 'browser-test',
    authenticatedRoutes: routes(store),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return {
    url,
    token: BACKEND_TOKEN,
    app,
    store,
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
    close: async () => {
      await app.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
