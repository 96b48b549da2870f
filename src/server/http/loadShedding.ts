import type { FastifyInstance, FastifyReply } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { LoopDelaySource } from './loopDelay';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Counts the request out of those in flight (once; a no-op on an exempt or shed one): its
     * response is under way and now waits only on its client to read it (an export's stream).
     */
    leaveInFlight: () => void;
  }
}

/**
 * Routes that answer whatever the load: probes and scrapes must see an overloaded backend, not time out, and
 * the kill switch (read and set) is an operator's last resort, needed most when the backend is swamped, and cheap.
 */
export const EXEMPT_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/api/kill-switch',
  '/api/admin/kill-switch',
]);

/** The default of server.maxConcurrentRequests (FP_MAX_CONCURRENT_REQUESTS). */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 64;

/**
 * The default of server.maxEventLoopDelay (FP_MAX_EVENT_LOOP_DELAY), in ms: well above one ordinary
 * request, well below a liveness probe's 1 s timeout, so /healthz answers within it.
 */
export const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 200;

/** Seconds a shed client is told to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

/** Why a request was shed: the label of the shed counter. */
export type ShedReason = 'concurrency' | 'event_loop_delay' | 'list_queue' | 'store_busy';

/** Answers the request 503 + Retry-After (`error: overloaded`) and counts it under `reason`. */
export type Shed = (reply: FastifyReply, reason: ShedReason, message: string) => Promise<FastifyReply>;

export interface LoadSheddingLimits {
  /** Requests in flight beyond which new ones are shed. */
  maxConcurrent: number;
  /** Shed too while the event loop is more than `maxMs` behind; absent: on concurrency alone. */
  delay?: { maxMs: number; behindMs: LoopDelaySource };
}

/**
 * Answers 503 with Retry-After, at once and without running the route, to requests beyond
 * `maxConcurrent` in flight, or while the event loop is more than `delay.maxMs` behind, so queued
 * work cannot grow without bound and the health routes keep answering. The second bound is the one
 * that trips when handlers are synchronous (SQLite): such requests never overlap, so they never count
 * as in flight together, yet each one queued delays /healthz by its whole run. Exemption is decided on
 * the route Fastify matched, not on the raw URL. A request is counted once its body has arrived, so a
 * client sending one slowly holds a connection (until the server's requestTimeout) but no slot; it leaves
 * the count when its response is finished or its connection closes, whichever comes first.
 */
export function registerLoadShedding(app: FastifyInstance, limits: LoadSheddingLimits, registry: Registry): Shed {
  const counter = new Counter({
    name: 'failureprophet_http_requests_shed_total',
    help: 'Requests answered 503 because the backend had server.maxConcurrentRequests in flight (reason "concurrency"), its event loop was more than server.maxEventLoopDelay behind (reason "event_loop_delay"), its list workers had a full queue (reason "list_queue") or every connection of its PostgreSQL pool stayed in use (reason "store_busy")',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const shed: Shed = async (reply, reason, message) => {
    counter.inc({ reason });
    await reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send({ error: 'overloaded', message });
    return reply;
  };
  let inFlight = 0;
  const refusal = (): { reason: ShedReason; message: string } | undefined => {
    if (inFlight >= limits.maxConcurrent) {
      return {
        reason: 'concurrency',
        message: `the backend is busy (${limits.maxConcurrent} requests in flight); retry shortly`,
      };
    }
    const behind = limits.delay?.behindMs() ?? 0;
    return limits.delay !== undefined && behind > limits.delay.maxMs
      ? { reason: 'event_loop_delay', message: `the backend is busy (${Math.round(behind)} ms behind); retry shortly` }
      : undefined;
  };
  app.decorateRequest('leaveInFlight', () => undefined);
  // Refused already before its token is checked and its body read, so a refusal costs as little as it can.
  app.addHook('onRequest', async (request, reply) => {
    const refused = EXEMPT_ROUTES.has(request.routeOptions.url ?? '') ? undefined : refusal();
    if (refused !== undefined) {
      return shed(reply, refused.reason, refused.message);
    }
  });
  // Counted once the body was read and validated (preHandler runs after both); registered here first, it runs
  // before the other preHandlers, the list workers' included.
  app.addHook('preHandler', async (request, reply) => {
    if (EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) {
      return;
    }
    const refused = refusal();
    if (refused !== undefined) {
      return shed(reply, refused.reason, refused.message);
    }
    // A client already gone: its response's close has been emitted, and would never give the slot back.
    if (reply.raw.closed) {
      return;
    }
    inFlight++;
    let counted = true;
    const leave = () => {
      if (counted) {
        counted = false;
        inFlight--;
      }
    };
    request.leaveInFlight = leave;
    reply.raw.once('close', leave);
  });
  return shed;
}
