import { z } from 'zod';

/** A `cursor` query parameter that is not the `next` of a page: the client should start again without one. */
export class CursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorError';
  }
}

/** An opaque page cursor: the sort key of the last row of the page, as base64url JSON. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CursorError('cursor: not the "next" of a page; start again without a cursor');
  }
  return parsed.data;
}

/** Keyset of the newest-first lists: (time, id), both descending. */
export const timeIdKeySchema = z.tuple([z.number().int(), z.number().int()]);
