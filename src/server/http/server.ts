import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  serializerCompiler,
  validatorCompiler,
  type FastifyPluginAsyncZod,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { livenessSchema, readinessSchema, type Readiness } from '../../contract/health';
import type { PrometheusClient } from '../prometheus/client';
import type { Store } from '../store/store';
import { bearerTokenHook } from './auth';
import { registerErrorHandler } from './errors';
import { registerRequestLog, withoutRequestLogs } from './requestLog';

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
   * Route plugins for the paths behind the bearer token (`/api/...`, `/predict`); each declares
   * its full path.
   */
  authenticatedRoutes?: FastifyPluginAsyncZod[];
}

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export async function buildServer(deps: ServerDeps): Promise<App> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // A slow or stuck client must not hold a connection open forever.
    requestTimeout: 60_000,
    // registerRequestLog logs each request once, at debug unless it failed or was slow.
    logController: withoutRequestLogs(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  registerRequestLog(app);

  app.get('/healthz', { schema: { response: { 200: livenessSchema } } }, async () => ({
    status: 'ok' as const,
    version: deps.version,
    uptimeSeconds: Math.round((now() - startedAt) / 1000),
  }));

  app.get(
    '/readyz',
    { schema: { response: { 200: readinessSchema, 503: readinessSchema } } },
    async (_request, reply) => {
      const readiness = await checkReadiness(deps);
      return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
    }
  );

  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.metrics();
    return reply.header('Content-Type', deps.metrics.contentType).send(body);
  });

  // At the root, not in a scope, so that unknown /api paths answer 401 too and reveal nothing.
  const requireToken = bearerTokenHook(deps.apiToken);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path === '/api' || path.startsWith('/api/') || path === '/predict') {
      return requireToken(request, reply);
    }
  });
  for (const routes of deps.authenticatedRoutes ?? []) {
    await app.register(routes);
  }

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
      message:
        'no Prometheus configured: set FP_PROMETHEUS_URL (e.g. http://localhost:9090) or prometheus.url in the FP_CONFIG file',
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
