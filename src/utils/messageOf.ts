/**
 * What a caught value says: an error's message, anything else (a thrown string, a rejection reason)
 * as text. Checked by shape, not `instanceof Error`: errors from another realm (Node's own modules
 * under Jest, an iframe) are not instances of this realm's Error.
 */
export const messageOf = (err: unknown): string =>
  typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string'
    ? err.message
    : String(err);

/** A caught value's `code` (Node's `ENOENT`, PostgreSQL's SQLSTATE, SQLite's `SQLITE_BUSY`), when it has one as text. */
export const codeOf = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;

/** A caught value's stack trace where it has one, else what it says (a thrown `null` or string has no stack). */
export const stackOf = (err: unknown): string =>
  typeof err === 'object' && err !== null && 'stack' in err && typeof err.stack === 'string'
    ? err.stack
    : messageOf(err);
