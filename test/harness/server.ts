import pino from 'pino';
import { buildServer, type App, type ServerDeps } from '../../src/server/http/server';

export const API_TOKEN = 'a-token-of-sixteen-chars';
/** The headers the routes behind the bearer token want. */
export const AUTH = { authorization: `Bearer ${API_TOKEN}` };

/** The backend's HTTP server over a test's store and metrics, silent, with only the routes the test calls (through `app.inject`). */
export function injectingApp(
  deps: Pick<ServerDeps, 'store' | 'metrics'>,
  routes: NonNullable<ServerDeps['authenticatedRoutes']>
): Promise<App> {
  return buildServer({
    logger: pino({ level: 'silent' }),
    apiToken: API_TOKEN,
    store: deps.store,
    metrics: deps.metrics,
    version: 'test',
    authenticatedRoutes: routes,
  });
}
