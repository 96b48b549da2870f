import { Registry } from 'prom-client';
import type { HealingEngine } from '../../src/server/healing';
import { healingRoutes } from '../../src/server/http/routes/healing';
import { buildServer } from '../../src/server/http/server';
import type { Logger } from 'pino';
import type { SqliteStore } from '../../src/server/store/sqlite';

/** The bearer token the healing API below accepts. */
export const HEALING_API_TOKEN = 'a-token-of-sixteen-chars';

/**
 * The healing API over `engine` and `store`, built as main builds it, and `call`, which sends a
 * request as Grafana's proxy does for an Admin (the token, the user header) unless `headers` say
 * otherwise. The caller closes the app.
 */
export async function serveHealingApi(engine: HealingEngine, store: SqliteStore, logger: Logger) {
  const app = await buildServer({
    logger,
    apiToken: HEALING_API_TOKEN,
    store,
    metrics: new Registry(),
    version: 'test',
    authenticatedRoutes: healingRoutes(engine),
  });
  const call = (
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    url: string,
    body?: object,
    headers: Record<string, string> = {}
  ) =>
    app.inject({
      method,
      url,
      payload: body,
      headers: { authorization: `Bearer ${HEALING_API_TOKEN}`, 'x-grafana-user': 'admin', ...headers },
    });
  return { app, call };
}
