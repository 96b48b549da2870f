// What the list routes' query strings share.
import { z } from 'zod';
import { cursorParamSchema, wholeNumberParamSchema } from '../vocabulary';

/**
 * The deepest `offset` a list serves. Each skipped row is read, so a deep offset read the whole table
 * per request, which any Viewer could ask; pages page on with `cursor` instead. The offset stays, up
 * to here, for clients of earlier builds (they ask for 50 rows a page).
 */
export const MAX_LIST_OFFSET = 1000;

/**
 * A page's place in a list of rows newest first, keyed by row id (keyset pagination): `o<id>` asks for
 * the rows older than that id (a page's `next`), `n<id>` for those newer (its `previous`). A page costs
 * its own rows at any depth, and stays put while new rows arrive (an offset shifts by each one).
 */
export const listCursorSchema = z
  .string()
  // At most 15 digits: the ids stay exact in a double (LIST_CURSOR_MAX_ID).
  .regex(/^[on](0|[1-9][0-9]{0,14})$/, { error: 'not the next or previous of a page; start again without a cursor' })
  .transform((text) => ({ older: text[0] === 'o', id: Number(text.slice(1)) }));
export type ListCursor = z.output<typeof listCursorSchema>;

/** The largest id a cursor names: a page's links stay within it, so a client can follow each one. */
export const LIST_CURSOR_MAX_ID = 10 ** 15 - 1;

/** The cursor of the rows older than the row `id` (a page's `next`), or newer than it (its `previous`). */
export const listCursor = (id: number, older: boolean): string => `${older ? 'o' : 'n'}${id}`;

/** `limit` and `offset` in decimal digits only: a coercing number read `limit=0x10` as 16 and `offset=` as 0. */
export const pagingSchema = {
  limit: wholeNumberParamSchema(z.number().int().min(1).max(500)).default(50),
  offset: wholeNumberParamSchema(
    z
      .number()
      .int()
      .min(0)
      .max(MAX_LIST_OFFSET, {
        error: `at most ${MAX_LIST_OFFSET}: page on with cursor, the next of the previous page`,
      })
  ).default(0),
  /** Where the page starts: the `next` or `previous` of a page; `offset` then counts from it. */
  cursor: cursorParamSchema(listCursorSchema),
};

/**
 * What a page adds to its rows: the cursor of the older page (null: this is the last) and of the newer
 * one (null: this is the newest). Optional: a backend before keyset pages sends neither.
 */
export const pageLinksSchema = {
  next: z.string().nullable().optional(),
  previous: z.string().nullable().optional(),
};

/** A comma-separated list in a query string, e.g. `?state=awaiting_approval,approved`. */
export const csv = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    )
    .pipe(z.array(item));
