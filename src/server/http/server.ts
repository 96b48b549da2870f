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
import { livenessSchema, readinessQuerySchema, readinessSchema } from '../../contract/health';
import type { WatchStatus } from '../../contract/pipeline';
import { systemClock, type Clock } from '../clock';
import type { Store } from '../store/store';
import { accessHook, type MetricsAccess, type RouteAccess } from './auth';
import { registerErrorHandler, unreadablePath } from './errors';
import { DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_EVENT_LOOP_DELAY_MS, registerLoadShedding } from './loadShedding';
import { monitorLoopDelay, type LoopDelaySource } from './loopDelay';
import { registerNoSniff } from './noSniff';
import { offloadLists } from './lists/offload';
import type { ListWorkers } from './lists/pool';
import { checkReadiness, sharedCall, sharedPings, withoutWatchNames, type ReadinessDeps } from './readiness';
import { registerRequestLog, withoutRequestLogs } from './requestLog';

export interface ServerDeps {
  logger: Logger;
  /** The full API's token (Grafana's plugin proxy sends it). */
  apiToken: string;
  /** The token that may only POST /api/alerts; absent: alerts need the API token. */
  alertToken?: string;
  /** Who may read /metrics (config `metrics`); absent: anyone. */
  metricsAccess?: MetricsAccess;
  store: Store;
  /** Absent when no Prometheus URL is configured; readiness then says how to set one. */
  prometheus?: ReadinessDeps['prometheus'];
  metrics: Registry;
  version: string;
  /** Uptime and the loop-delay monitor's timer; default the system's. */
  clock?: Clock;
  /** The pipeline's watches as they run, for /readyz to name the degraded ones. */
  watchStatus?: () => WatchStatus[];
  /** Which replica leads, for /readyz (absent: not reported). */
  leadership?: ReadinessDeps['leadership'];
  /**
   * Route plugins for the paths behind the bearer token (`/api/...`, `/predict`); each declares
   * its full path, and `config.access` when it is not the API token's alone.
   */
  authenticatedRoutes?: FastifyPluginAsyncZod[];
  /** Requests in flight beyond which the API sheds load (503 + Retry-After); default 64. */
  maxConcurrentRequests?: number;
  /**
   * Event-loop delay (ms) beyond which the API sheds load likewise (main passes server.maxEventLoopDelay);
   * absent: no shedding on delay, so in-process tests on a busy machine are not refused at random.
   */
  maxEventLoopDelay?: number;
  /** How far behind the event loop is (ms); default measured by a timer, stopped when the server closes. */
  loopDelay?: LoopDelaySource;
  /**
   * Worker threads that read the list pages (SQLite file stores): the routes' handlers then never run
   * for a GET of a list, and the server closes the workers when it closes. Absent: the handlers read.
   */
  listWorkers?: ListWorkers;
}

/** A route the server serves and who may call it. */
export interface ServedRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const routeTables = new WeakMap<object, ServedRoute[]>();

/** Every route of a server built by buildServer (HEAD included), as Fastify registered it. */
export function servedRoutes(app: App): readonly ServedRoute[] {
  return routeTables.get(app) ?? [];
}

export async function buildServer(deps: ServerDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const startedAt = clock.now();
  const scrapeOnly = deps.metricsAccess?.requireAuth === true;
  const access = accessHook({
    api: deps.apiToken,
    alerts: deps.alertToken,
    scrape: scrapeOnly ? deps.metricsAccess?.basicAuth : undefined,
  });
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // A slow or stuck client must not hold a connection open forever while it sends its request (a slow reader
    // of a response is bounded where a response can be long: the audit export, routes/audit.ts).
    requestTimeout: 60_000,
    // A target id is a watch and its label values (`/api/targets/:id`): percent-encoded, a real one runs past
    // find-my-way's default of 100 characters, which answered 414. Node's 16 KiB header limit still bounds it.
    routerOptions: { maxParamLength: 8_192 },
    // Such a path, and one with a broken %-escape, never reaches the hooks below: the token is checked here too.
    frameworkErrors: unreadablePath(access),
    // A "__proto__" key is dropped rather than the body refused: it is a valid Prometheus label name that
    // anyone posting to Alertmanager can add to an alert, and a 400 would lose the alert's whole group.
    onProtoPoisoning: 'remove',
    // registerRequestLog logs each request once, at debug unless it failed or was slow.
    logController: withoutRequestLogs(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerNoSniff(app);
  registerRequestLog(app);

  const table: ServedRoute[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      table.push({ method, url: route.url, access: route.config?.access ?? 'api' });
    }
  });
  // Before anything else is done for a request, so shedding stays cheap.
  let loopBehindMs = deps.loopDelay;
  if (loopBehindMs === undefined && deps.maxEventLoopDelay !== undefined) {
    const monitor = monitorLoopDelay(clock);
    app.addHook('onClose', async () => monitor.stop());
    loopBehindMs = monitor.behindMs;
  }
  const shed = registerLoadShedding(
    app,
    {
      maxConcurrent: deps.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS,
      delay:
        loopBehindMs === undefined
          ? undefined
          : { maxMs: deps.maxEventLoopDelay ?? DEFAULT_MAX_EVENT_LOOP_DELAY_MS, behindMs: loopBehindMs },
    },
    deps.metrics
  );
  // Before any route, which keeps the error handler of the context it was added in.
  registerErrorHandler(app, shed);
  if (deps.listWorkers !== undefined) {
    offloadLists(app, deps.listWorkers, shed);
  }
  // At the root and first after shedding, so it runs for every route and for paths that match none (404): those
  // need the API token too, so an unknown path reveals nothing without it.
  app.decorateRequest('credential', null);
  app.addHook('onRequest', access);

  const open = { access: 'public' } as const;
  const readiness = sharedPings(deps);
  app.get('/healthz', { config: open, schema: { response: { 200: livenessSchema } } }, async () => ({
    status: 'ok' as const,
    version: deps.version,
    uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
  }));

  app.get(
    '/readyz',
    {
      config: open,
      schema: { querystring: readinessQuerySchema, response: { 200: readinessSchema, 503: readinessSchema } },
    },
    async (request, reply) => {
      const answer = await checkReadiness(readiness, request.query);
      return reply
        .code(answer.status === 'ready' ? 200 : 503)
        .send(request.credential === 'api' ? answer : withoutWatchNames(answer));
    }
  );

  // Never shed: scrapes that arrive while one is rendered share its text, so a flood of them reads the store
  // (the gauges that count pending approvals and read the kill switch) once at a time. Public unless protected:
  // its label values name watches and targets.
  const renderMetrics = sharedCall(() => deps.metrics.metrics());
  const metricsAccess: RouteAccess = scrapeOnly ? 'scrape' : 'public';
  app.get('/metrics', { config: { access: metricsAccess } }, async (_request, reply) => {
    const body = await renderMetrics();
    return reply.header('Content-Type', deps.metrics.contentType).send(body);
  });

  for (const routes of deps.authenticatedRoutes ?? []) {
    await app.register(routes);
  }

  return app;
}
