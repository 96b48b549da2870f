import { parse as parseQueryString } from 'node:querystring';
import type { z } from 'zod';
import { actionListQuerySchema, auditQuerySchema, type Action } from '../../../contract/healing';
import type { ErrorBody } from '../../../contract/health';
import { anomaliesQuerySchema, modelsQuerySchema, predictionsQuerySchema } from '../../../contract/pipeline';
import type { StoredAction } from '../../healing/store/actionRows';
import type { ActionRepository, AuditRepository } from '../../healing/store/repositories';
import type { PipelineRepository } from '../../pipeline/store/repository';
import { readModelPage } from '../../pipeline/modelList';
import { PipelineError, readAnomalyPage } from '../../pipeline/views';

/** What a list page is read from: the store's repositories (a worker's read-only connection). */
export interface ListSources {
  pipeline: PipelineRepository;
  actions: ActionRepository;
  audit: AuditRepository;
}

/** A page as it goes on the wire: its status and its JSON text. */
export interface ListAnswer {
  status: number;
  body: string;
}

interface ListReader<S extends z.ZodType> {
  query: S;
  read(sources: ListSources, query: z.output<S>): Promise<unknown>;
}

/** The API's view of a stored action: what the response schema would keep of it. */
function publicAction({
  triggerKey: _key,
  progress: _progress,
  claimedBy: _claimedBy,
  ...action
}: StoredAction): Action {
  return action;
}

const reader = <S extends z.ZodType>(r: ListReader<S>) => r;

/**
 * The list routes a worker can answer: each reads its page through the same repository method as
 * its route and sends it as JSON. Each row was checked by its schema when it was read (decodeRow at
 * the store's boundary) and the page is built from those typed rows, so the response schema's
 * second check (fastify-type-provider-zod's serializer parses the whole page again) is skipped: it
 * cost about as much as reading the rows. The answers are the routes' (`readers.test.ts`).
 */
export const LIST_READERS = {
  '/api/anomalies': reader({
    query: anomaliesQuerySchema,
    read: ({ pipeline }, q) => readAnomalyPage(pipeline, q),
  }),
  '/api/predictions': reader({
    query: predictionsQuerySchema,
    read: async ({ pipeline }, q) => ({ predictions: await pipeline.predictions(q) }),
  }),
  '/api/models': reader({
    query: modelsQuerySchema,
    read: ({ pipeline }, q) => readModelPage(pipeline, q),
  }),
  '/api/actions': reader({
    query: actionListQuerySchema,
    read: async ({ actions }, q) => {
      const page = await actions.list(q);
      return { ...page, items: page.items.map(publicAction) };
    },
  }),
  // Only the JSON page: the CSV and JSON Lines exports stream from the route.
  '/api/audit': reader({
    query: auditQuerySchema.refine((q) => q.format === 'json', 'only the JSON page is read by a worker'),
    read: ({ audit }, q) => audit.list(q),
  }),
} as const;

export type ListRoute = keyof typeof LIST_READERS;

export function isListRoute(url: string | undefined): url is ListRoute {
  return url !== undefined && Object.hasOwn(LIST_READERS, url);
}

/**
 * Whether a worker answers this request (the audit route's exports stay on the route). The format is
 * read decoded, as the route read it: `format=cs%76` is the CSV export.
 */
export function servedByWorker(route: ListRoute, rawQuery: string): boolean {
  if (route !== '/api/audit') {
    return true;
  }
  const { format } = parseQueryString(rawQuery);
  return format === undefined || format === 'json';
}

/**
 * One page of `route` for a raw query string (what follows `?`), read and serialised. The query is
 * validated here again (the route validated it too, for its 400s): it is this function's input. A
 * refused cursor is the route's 400; anything else (a stored row that does not fit) rejects.
 */
export async function readList(sources: ListSources, route: ListRoute, rawQuery: string): Promise<ListAnswer> {
  const { query, read } = LIST_READERS[route] as ListReader<z.ZodType>;
  const parsed = query.safeParse(parseQueryString(rawQuery));
  if (!parsed.success) {
    return refusal(400, { error: 'bad_request', message: `query: ${parsed.error.issues[0].message}` });
  }
  try {
    return { status: 200, body: JSON.stringify(await read(sources, parsed.data)) };
  } catch (err) {
    if (err instanceof PipelineError) {
      return refusal(err.kind === 'not_found' ? 404 : 400, { error: err.kind, message: err.message });
    }
    throw err;
  }
}

const refusal = (status: number, body: ErrorBody): ListAnswer => ({ status, body: JSON.stringify(body) });
