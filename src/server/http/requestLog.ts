import { LogController, type FastifyInstance } from 'fastify';

/** A request slower than this is logged at info even when it succeeded. */
export const SLOW_REQUEST_MS = 2000;

/**
 * The most of a path a request's log line keeps: a client without the token chooses the path (up to Node's
 * 16 KiB header limit) and has its 401 logged at info, so a flood of long ones would fill the disk with them.
 */
export const LOGGED_PATH_LENGTH = 256;

/** The path of a request's URL (never its query, which may carry anything), cut to LOGGED_PATH_LENGTH. */
function loggedPath(url: string): string {
  const path = url.split('?')[0];
  return path.length <= LOGGED_PATH_LENGTH ? path : `${path.slice(0, LOGGED_PATH_LENGTH)}… (${path.length} characters)`;
}

/** Fastify's own two lines per request (incoming, completed) off: registerRequestLog writes one. */
export function withoutRequestLogs(): LogController {
  return new LogController({ disableRequestLogging: true });
}

/**
 * One line per request, at debug (Prometheus scraping /metrics every 15 s would otherwise write
 * thousands of lines a day); failed requests (4xx but 404, 5xx) and slow ones at info, so they
 * still show. Use with `logController: withoutRequestLogs()`.
 */
export function registerRequestLog(app: FastifyInstance<any, any, any, any, any>, slowMs = SLOW_REQUEST_MS): void {
  app.addHook('onResponse', async (request, reply) => {
    const ms = reply.elapsedTime;
    const status = reply.statusCode;
    const fields = { method: request.method, url: loggedPath(request.url), status, ms: Math.round(ms) };
    // 404s stay at debug: scanners probe paths that were never there. So do requests shed under
    // overload (503 with Retry-After): thousands a second are counted by the shed metric, and a line
    // each would add to the overload.
    const shed = status === 503 && reply.hasHeader('retry-after');
    if (ms >= slowMs || (status >= 400 && status !== 404 && !shed)) {
      request.log.info(fields, `${request.method} ${fields.url} answered ${status} in ${fields.ms} ms`);
    } else {
      request.log.debug(fields, 'request');
    }
  });
}
