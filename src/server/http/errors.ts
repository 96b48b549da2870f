import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorBody } from '../../contract/health';
import { plainIssue } from '../config/plainWords';
import { StoreBusyError, StoreUnavailableError } from '../store/postgres/pool';
import { postgresRefusalReason } from '../store/postgres/refusals';
import { StoredRowError } from '../store/rows';
import { cannotWrite } from '../store/writeHealth';
import type { Shed } from './loadShedding';
import { setNoSniff } from './noSniff';

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
    if (isStoredRowError(error)) {
      // The whole error (the field's fault, which may quote the row) goes to the log; the answer names only the row.
      request.log.error({ err: error }, 'request failed: a stored row is unreadable');
      const body: ErrorBody = { error: 'stored_row_unreadable', message: unreadableRow(error.message) };
      return reply.code(500).send(body);
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

/** Why the router could not read a path, in words that do not repeat it (it can be 8 KiB of anything). */
const UNREADABLE_PATHS: Record<string, { status: number; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, message: 'the path holds a % that does not start a valid percent-encoding' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, message: 'a part of the path is too long to be an id' },
};

/**
 * Fastify's frameworkErrors: a path its router cannot read is answered here, before any route's hooks,
 * so the token is checked first (`access`, the onRequest hook every route has): without it, such a path
 * is a 401 like any other, and a 414 could not tell that a route with an id lies under it.
 */
export function unreadablePath(access: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) {
  const answer = async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    setNoSniff(reply);
    await access(request, reply);
    if (!reply.sent) {
      const { status, message } = UNREADABLE_PATHS[error.code] ?? { status: 400, message: 'the path cannot be read' };
      const body: ErrorBody = { error: 'bad_request', message };
      await reply.code(status).send(body);
    }
  };
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    answer(error, request, reply).catch((err: unknown) => {
      request.log.error({ err }, 'answering a path the router cannot read failed');
      reply.raw.destroy();
    });
  };
}

/** What keeps the store from doing the request now, where waiting may be the cure (no upstream text: it may name hosts). */
function storeAway(error: unknown): string | undefined {
  if (error instanceof StoreUnavailableError) {
    return 'the store is unavailable now';
  }
  const reason = cannotWrite(error) ? 'its disk is full or refuses writes' : postgresRefusalReason(error);
  return reason === undefined ? undefined : `the store cannot write now (${reason})`;
}

/**
 * A StoredRowError, thrown here or by a list worker (whose errors come back as plain errors that
 * keep their name): a row of the store that its schema does not read.
 */
function isStoredRowError(error: Error): boolean {
  return error instanceof StoredRowError || error.name === 'StoredRowError';
}

/** decodeRow's message: `<table> row[ <key>] is invalid[ at <path>]: <fault>` (src/server/store/rows.ts). */
const TABLE_ROW = /^([a-z][a-z0-9_]*) row/;
const INVALID = ' is invalid';
/** A column name as the tables have them. */
const COLUMN = /^[a-z][a-z0-9_]*$/;
/** A row's key as decodeRow gives it (an id, a watch, a target id): shown when short and printable. */
const ROW_KEY = /^[^\p{Cc}]{1,300}$/u;

/**
 * What an operator is told of a row the store cannot read: its table, its row and its column, so it
 * can be mended or deleted. Only those names are taken from the message, read from its start: the
 * fault after them is zod's or JSON.parse's, which may quote the row's text, and a path's deeper
 * steps are keys inside the column's JSON. No contents, no SQL: those stay in the log.
 */
export function unreadableRow(message: string): string {
  const table = TABLE_ROW.exec(message);
  const end = table ? message.indexOf(INVALID, table[0].length) : -1;
  const key = table ? message.slice(table[0].length, end) : '';
  if (!table || end < 0 || (key !== '' && !key.startsWith(' '))) {
    return 'a row of the store is unreadable; the backend log names it';
  }
  const row = ROW_KEY.test(key.slice(1)) ? key : '';
  const rest = message.slice(end + INVALID.length);
  const column = rest.startsWith(' at ') ? rest.slice(4).split(/[.:]/)[0] : '';
  const where = COLUMN.test(column) ? ` (column ${column})` : '';
  return `the store's ${table[1]} row${row} is unreadable${where}: mend or delete it; the backend log says what is wrong with it`;
}
