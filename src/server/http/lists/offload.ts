import type { FastifyInstance } from 'fastify';
import { RETRY_AFTER_SECONDS, type Shed } from '../loadShedding';
import { ListQueueFull, ListWorkerStopped, type ListWorkers } from './pool';
import { isListRoute, servedByWorker } from './readers';

/**
 * Answers the list routes' GETs from the list workers, after the route validated the query (its 400s
 * are unchanged) and before its handler runs: the worker's JSON is sent as it is. A full queue is shed
 * like any overload (503 + Retry-After, reason "list_queue"); a worker that stopped while reading the
 * page is a 503 + Retry-After too (the request may simply be sent again); a read that failed (a stored
 * row that does not fit) goes to the error handler, a 500 logged with the row it names.
 */
export function offloadLists(app: FastifyInstance, workers: ListWorkers, shed: Shed): void {
  // preClose, not onClose: requests waiting for a page hold the server's close until they are answered.
  app.addHook('preClose', async () => workers.close());
  // While the queue is full a list request is refused before its token and query are checked: under a
  // flood, refusals are most of what the main loop does, so each must cost as little as it can.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' && isListRoute(request.routeOptions.url) && workers.full) {
      return shed(reply, 'list_queue', new ListQueueFull(workers.queued).message);
    }
  });
  app.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url;
    if (request.method !== 'GET' || !isListRoute(route)) {
      return;
    }
    const at = request.url.indexOf('?');
    const query = at < 0 ? '' : request.url.slice(at + 1);
    if (!servedByWorker(route, query)) {
      return;
    }
    let answer;
    try {
      answer = await workers.read(route, query);
    } catch (err) {
      if (err instanceof ListQueueFull) {
        return shed(reply, 'list_queue', err.message);
      }
      if (err instanceof ListWorkerStopped) {
        await reply
          .code(503)
          .header('Retry-After', String(RETRY_AFTER_SECONDS))
          .send({ error: 'unavailable', message: err.message });
        return reply;
      }
      throw err;
    }
    await reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
    return reply;
  });
}
