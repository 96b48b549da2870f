import { z } from 'zod';
import type { ModelPage } from '../../../contract/modelPage';
import {
  DEFAULT_PAGE_LIMIT,
  modelSortSchema,
  type ModelSort,
  type ModelsQuery,
  type ModelVersion,
} from '../../../contract/pipeline';
import { decodeRow } from '../../store/rows';
import { CursorError, decodeCursor, encodeCursor } from './cursor';
import { modelFilters, whereClause, type ModelDialect } from './modelFilters';
import { readModel } from './modelTable';
import { readRetrainRequestView, requestViewColumns } from './retrainRequestTable';

// GET /api/models a page at a time, on either store: keyset pages in either direction over the sort's
// columns (the model's id breaks ties), so a page costs its own rows whatever its depth; with
// status=current, on the partial indexes of migration 0024 (PostgreSQL 20), which hold one row a
// target rather than every version a fleet's retrainings left.

/** A page as a store reads it: the answer but for how long a queued request waits (a constant). */
export type StoredModelPage = Omit<ModelPage, 'expiresAfterMs'>;

/** The page's query: the API's, each part optional. */
export type ModelPageQuery = Partial<ModelsQuery>;

/** Runs one statement (`?` placeholders; PostgreSQL's store numbers them) and resolves to its rows. */
export type Select = (statement: { sql: string; params: unknown[] }) => Promise<unknown[]>;

type Order = 'asc' | 'desc';

/** Without `order`: the newest trained first, targets A to Z. */
const DEFAULT_ORDER: Record<ModelSort, Order> = { trainedAt: 'desc', target: 'asc' };

/**
 * The sort's column. PostgreSQL compares text in the database's collation unless told; "C" compares
 * bytes, as SQLite does, so both stores list targets in one order.
 */
const sortColumn = (dialect: ModelDialect, sort: ModelSort) =>
  sort === 'trainedAt' ? 'trained_at' : dialect === 'postgres' ? 'target_id COLLATE "C"' : 'target_id';

const sortValue = (sort: ModelSort, m: ModelVersion): number | string =>
  sort === 'trainedAt' ? m.trainedAt : m.target;

/**
 * A page's cursor: its sort and order (a page in another order refuses it), which side of the key the
 * page lies (`after`: a `next`, `before`: a `previous`), and the key: the sort's value and the id.
 */
const cursorSchema = z.tuple([
  modelSortSchema,
  z.enum(['asc', 'desc']),
  z.enum(['after', 'before']),
  z.union([z.number().int(), z.string()]),
  z.number().int(),
]);

interface Key {
  side: 'after' | 'before';
  value: number | string;
  id: number;
}

function readCursor(cursor: string, sort: ModelSort, order: Order): Key {
  const [s, o, side, value, id] = decodeCursor(cursor, cursorSchema);
  if (s !== sort || o !== order || typeof value !== (sort === 'trainedAt' ? 'number' : 'string')) {
    throw new CursorError('cursor: from a page in another order; start again without a cursor');
  }
  return { side, value, id };
}

/** The page's order, and the key its cursor names; a cursor that is not one of this order's is refused (CursorError). */
export function modelPageKey(q: ModelPageQuery): { sort: ModelSort; order: Order; key?: Key } {
  const sort = q.sort ?? 'trainedAt';
  const order = q.order ?? DEFAULT_ORDER[sort];
  return { sort, order, key: q.cursor === undefined ? undefined : readCursor(q.cursor, sort, order) };
}

/** The page's statement and which way it reads: a `previous` page is read toward the first, then turned round. */
export function modelPageSql(
  q: ModelPageQuery,
  dialect: ModelDialect,
  columns = '*'
): { sql: string; params: unknown[]; sort: ModelSort; order: Order; key?: Key } {
  const { sort, order, key } = modelPageKey(q);
  const reading = key?.side === 'before' ? flip(order) : order;
  const keys = [sortColumn(dialect, sort), 'id'];
  const { terms, params } = modelFilters(q, dialect);
  if (key !== undefined) {
    terms.push(`(${keys.join(', ')}) ${reading === 'asc' ? '>' : '<'} (?, ?)`);
    params.push(key.value, key.id);
  }
  const direction = reading.toUpperCase();
  return {
    sql: `SELECT ${columns} FROM models ${whereClause(terms)}
          ORDER BY ${keys.map((k) => `${k} ${direction}`).join(', ')} LIMIT ?`,
    params: [...params, (q.limit ?? DEFAULT_PAGE_LIMIT) + 1],
    sort,
    order,
    key,
  };
}

const flip = (order: Order): Order => (order === 'asc' ? 'desc' : 'asc');

/**
 * How many current models the filters match, and how many of them come before `first` in the page's
 * order (none given: 0): one read of the filter's index, which holds a row a target, and a range of it.
 */
export function modelCountSql(
  q: ModelPageQuery,
  dialect: ModelDialect,
  first?: { sort: ModelSort; order: Order; value: number | string; id: number }
): { sql: string; params: unknown[] } {
  const { terms, params } = modelFilters({ ...q, status: 'current' }, dialect);
  const count = (where: string[]) => `(SELECT CAST(COUNT(*) AS INTEGER) FROM models ${whereClause(where)})`;
  if (first === undefined) {
    return { sql: `SELECT ${count(terms)} AS total, 0 AS before`, params };
  }
  const before = `(${sortColumn(dialect, first.sort)}, id) ${first.order === 'asc' ? '<' : '>'} (?, ?)`;
  return {
    sql: `SELECT ${count(terms)} AS total, ${count([...terms, before])} AS before`,
    params: [...params, ...params, first.value, first.id],
  };
}

const countRowSchema = z.object({ total: z.number().int(), before: z.number().int() });

/**
 * The newest retrain request of each of `targets` (`?` each): the newest id of each target on the
 * (target_id, id) index of migration 0023 (PostgreSQL 19), then those rows by id.
 */
export function newestRequestsSql(targets: number, dialect: ModelDialect): string {
  return `SELECT ${requestViewColumns(dialect)}
     FROM retrain_requests
    WHERE id IN (SELECT MAX(id) FROM retrain_requests
                  WHERE target_id IN (${Array(targets).fill('?').join(', ')}) GROUP BY target_id)`;
}

/** A page of models, its cursors, and with status=current its count and place; with `requests`, its targets' newest requests. */
export async function modelPage(
  q: ModelPageQuery,
  select: Select,
  dialect: ModelDialect,
  columns = '*'
): Promise<StoredModelPage> {
  const { sql, params, sort, order, key } = modelPageSql(q, dialect, columns);
  const limit = q.limit ?? DEFAULT_PAGE_LIMIT;
  const rows = (await select({ sql, params })).map(readModel);
  const more = rows.length > limit;
  const backward = key?.side === 'before';
  const models = backward ? rows.slice(0, limit).reverse() : rows.slice(0, limit);
  const [first, last] = [models.at(0), models.at(-1)];
  const cursor = (side: Key['side'], m: ModelVersion) => encodeCursor([sort, order, side, sortValue(sort, m), m.id]);
  // Read forward, more rows mean a page after this one, and a cursor one before; read backward, the other way round.
  const [after, before] = backward ? [true, more] : [more, key !== undefined];
  const page: StoredModelPage = {
    models,
    next: after && last ? cursor('after', last) : null,
    previous: before && first ? cursor('before', first) : null,
  };
  if (q.status === 'current') {
    const counted = decodeRow(
      countRowSchema,
      'models',
      (
        await select(modelCountSql(q, dialect, first && { sort, order, value: sortValue(sort, first), id: first.id }))
      )[0]
    );
    page.total = counted.total;
    // An empty page past the last: everything comes before it.
    page.offset = first || backward || key === undefined ? counted.before : counted.total;
    if (page.offset === 0) {
      page.previous = null;
    }
  }
  if (q.requests === 'true') {
    const targets = [...new Set(models.map((m) => m.target))];
    page.requests =
      targets.length === 0
        ? []
        : (await select({ sql: newestRequestsSql(targets.length, dialect), params: targets })).map(
            readRetrainRequestView
          );
  }
  return page;
}
