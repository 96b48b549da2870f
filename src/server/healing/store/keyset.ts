import { LIST_CURSOR_MAX_ID, listCursor, type ListCursor } from '../../../contract/healing/query';

// Keyset pages of the healing lists (actions, audit), newest first by id, on SQLite and PostgreSQL alike.

/** A page as both stores return it: its rows newest first, the total the filter matches, and its cursors. */
export interface KeysetPage<T> {
  items: T[];
  total: number;
  next: string | null;
  previous: string | null;
}

/**
 * How a page reads its rows: the condition on `column` (the row id) that the cursor sets, with `?` for
 * its value (`placeholder`: PostgreSQL numbers them), the order, and the value. Older rows (or none) are read newest
 * first; newer rows oldest first, from the cursor up, and turned round by `keysetPage`.
 */
export function keysetOrder(
  column: string,
  cursor: ListCursor | undefined,
  placeholder = '?'
): { condition?: string; values: number[]; order: string } {
  if (cursor === undefined) {
    return { values: [], order: `${column} DESC` };
  }
  return cursor.older
    ? { condition: `${column} < ${placeholder}`, values: [cursor.id], order: `${column} DESC` }
    : { condition: `${column} > ${placeholder}`, values: [cursor.id], order: `${column} ASC` };
}

/**
 * A PostgreSQL page after the filter's own conditions (`where`, with `params` numbered from $1): the
 * WHERE, ORDER BY, LIMIT and OFFSET, and every parameter. The cursor's id is compared as bigint: a
 * cursor may name any id its schema lets through, past an INTEGER column's range (int4 and int8
 * compare in one btree operator family, so the id's index still serves it).
 */
export function postgresKeyset(
  column: string,
  where: string[],
  params: unknown[],
  q: { limit: number; offset: number; cursor?: ListCursor }
): { sql: string; params: unknown[] } {
  const key = keysetOrder(column, q.cursor, `$${params.length + 1}::bigint`);
  const terms = key.condition ? [...where, key.condition] : where;
  const n = params.length + key.values.length;
  return {
    sql: `${terms.length ? ` WHERE ${terms.join(' AND ')}` : ''} ORDER BY ${key.order} LIMIT $${n + 1} OFFSET $${n + 2}`,
    params: [...params, ...key.values, q.limit + 1, q.offset],
  };
}

/**
 * The page from rows read in `keysetOrder`'s order with a limit one above `limit` (the extra row says
 * whether the list goes on in that direction).
 */
export function keysetPage<T extends { id: number }>(
  rows: T[],
  q: { limit: number; cursor?: ListCursor },
  total: number
): KeysetPage<T> {
  const more = rows.length > q.limit;
  const read = rows.slice(0, q.limit);
  if (q.cursor !== undefined && !q.cursor.older) {
    const items = read.reverse();
    const last = items.at(-1);
    return {
      items,
      total,
      next: listCursor(last ? last.id : Math.min(q.cursor.id + 1, LIST_CURSOR_MAX_ID), true),
      previous: more ? listCursor(items[0].id, false) : null,
    };
  }
  const first = read[0];
  return {
    items: read,
    total,
    next: more ? listCursor(read[read.length - 1].id, true) : null,
    // The newest page (no cursor) has none newer; after a cursor, the rows above this page's first.
    // Past the ends of the ids, the link stays one the schema reads (n0 reads every row: ids start at 1).
    previous: q.cursor === undefined ? null : listCursor(first ? first.id : Math.max(q.cursor.id - 1, 0), false),
  };
}
