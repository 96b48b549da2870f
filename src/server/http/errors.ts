import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorBody } from '../../contract/health';
import { plainIssue } from '../config/plainWords';
import { StoreBusyError, StoreUnavailableError } from '../store/postgres/pool';
import { postgresRefusalReason } from '../store/postgres/refusals';
import { cannotWrite } from '../store/writeHealth';
import type { Shed } from './loadShedding';

/** How long a client waits before asking again while the store cannot write. */
const STORE_RETRY_AFTER_SECONDS = 30;

/**
 * One error shape for every route: validation failures name the field that failed. `shed` answers a
 * request the store was too busy for as load shedding answers one (503 overloaded, counted).
 */
export function registerErrorHandler(app: FastifyInstance<any, any, any, any, any>, shed: Shed): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0];
      const location = error.validationContext ?? 'body';
      const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const field = path ? `${location}.${path}` : location;
      const words = plainIssue({ ...issue.params, code: issue.keyword, message: issue.message ?? '' });
      const body: ErrorBody = { error: 'bad_request', message: `${field}: ${words}`, field };
      return reply.code(400).send(body);
    }
    if (error instanceof StoreBusyError) {
      return shed(
        reply,
        'store_busy',
        "the store is busy (every connection of this replica's pool in use); retry shortly"
      );
    }
    const away = storeAway(error);
    if (away) {
      // The request can succeed later, as a shed one can; the store's own health says why in the log and on /readyz.
      const body: ErrorBody = { error: 'store_unavailable', message: `${away}; try again later` };
      return reply.code(503).header('Retry-After', String(STORE_RETRY_AFTER_SECONDS)).send(body);
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    const body: ErrorBody = {
      error: status >= 500 ? 'internal' : (error.code ?? 'error').toLowerCase(),
      message: status >= 500 ? 'internal error; see the backend log' : error.message,
    };
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` };
    return reply.code(404).send(body);
  });
}

/** What keeps the store from doing the request now, where waiting may be the cure (no upstream text: it may name hosts). */
function storeAway(error: unknown): string | undefined {
  if (error instanceof StoreUnavailableError) {
    return 'the store is unavailable now';
  }
  const reason = cannotWrite(error) ? 'its disk is full or refuses writes' : postgresRefusalReason(error);
  return reason === undefined ? undefined : `the store cannot write now (${reason})`;
}
