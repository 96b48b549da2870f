import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';

/** Routes that answer whatever the load: probes and scrapes must see an overloaded backend, not time out. */
export const EXEMPT_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** The default of server.maxConcurrentRequests (FP_MAX_CONCURRENT_REQUESTS). */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 64;

/** Seconds a shed client is told to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Answers 503 with Retry-After, at once and without running the route, to requests beyond
 * `max` in flight, so queued work cannot grow without bound and the health routes keep answering.
 * Exemption is decided on the route Fastify matched, not on the raw URL. A request leaves the
 * count when its response is finished or its connection closes, whichever comes first.
 */
export function registerLoadShedding(app: FastifyInstance, max: number, registry: Registry): void {
  const shed = new Counter({
    name: 'failureprophet_http_requests_shed_total',
    help: 'Requests answered 503 because the backend already had server.maxConcurrentRequests in flight',
    registers: [registry],
  });
  let inFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    if (EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) {
      return;
    }
    if (inFlight >= max) {
      shed.inc();
      await reply
        .code(503)
        .header('Retry-After', String(RETRY_AFTER_SECONDS))
        .send({ error: 'overloaded', message: `the backend is busy (${max} requests in flight); retry shortly` });
      return reply;
    }
    inFlight++;
    reply.raw.once('close', () => {
      inFlight--;
    });
  });
}
