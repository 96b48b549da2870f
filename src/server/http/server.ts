import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { livenessSchema, readinessSchema, type Readiness } from '../../contract/health';
import type { PrometheusClient } from '../prometheus/client';
import type { Store } from '../store/store';
import { bearerTokenHook } from './auth';
import { registerErrorHandler } from './errors';

export interface ServerDeps {
  logger: Logger;
  apiToken: string;
  store: Store;
  /** Absent when no Prometheus URL is configured; readiness then says how to set one. */
  prometheus?: PrometheusClient;
  metrics: Registry;
  version: string;
  now?: () => number;
  /**
   * Route plugins mounted behind the bearer token. Each is registered at the root of the
   * authenticated scope, so it declares its full path (`/api/...`, `/predict`).
   */
  authenticatedRoutes?: FastifyPluginAsync[];
}

export type App = FastifyInstance;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const app = Fastify({
    loggerInstance: deps.logger,
    // A slow or stuck client must not hold a connection open forever.
    requestTimeout: 60_000,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);

  app.get('/healthz', { schema: { response: { 200: livenessSchema } } }, async () => ({
    status: 'ok' as const,
    version: deps.version,
    uptimeSeconds: Math.round((now() - startedAt) / 1000),
  }));

  app.get('/readyz', { schema: { response: { 200: readinessSchema, 503: readinessSchema } } }, async (_request, reply) => {
    const readiness = await checkReadiness(deps);
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.metrics();
    return reply.header('Content-Type', deps.metrics.contentType).send(body);
  });

  await app.register(async (scope) => {
    scope.addHook('onRequest', bearerTokenHook(deps.apiToken));
    for (const routes of deps.authenticatedRoutes ?? []) {
      await scope.register(routes);
    }
  });

  return app;
}

async function checkReadiness(deps: ServerDeps): Promise<Readiness> {
  const store = (() => {
    try {
      deps.store.ping();
      return { ok: true };
    } catch (err) {
      return { ok: false, message: `the store does not answer: ${(err as Error).message}` };
    }
  })();
  let prometheus: Readiness['checks']['prometheus'];
  if (!deps.prometheus) {
    prometheus = {
      ok: false,
      message: 'no Prometheus configured: set FP_PROMETHEUS_URL (e.g. http://localhost:9090) or prometheus.url in the FP_CONFIG file',
    };
  } else {
    try {
      await deps.prometheus.ping();
      prometheus = { ok: true, message: `answering at ${deps.prometheus.url}` };
    } catch (err) {
      prometheus = { ok: false, message: (err as Error).message };
    }
  }
  return { status: store.ok && prometheus.ok ? 'ready' : 'not_ready', checks: { store, prometheus } };
}
