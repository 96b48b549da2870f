import type Database from 'better-sqlite3';
import type { ModelDialect } from './modelFilters';

// A list's `q` finds its text in an id in any case, as the listing in memory does (targetOrder.ts):
// JavaScript's toLowerCase, Unicode's full case mapping. Neither store's own lower() is that. SQLite's
// folds ASCII only ("ÉTÉ" stays "ÉtÉ"); PostgreSQL's follows the database's LC_CTYPE: ASCII only under
// C, one character at a time under a libc locale such as C.UTF-8 or en_US.UTF-8 ("ΟΔΟΣ" becomes "οδοσ",
// "İ" "i"). So SQLite's lower() is replaced by JavaScript's on each connection that runs these filters,
// and PostgreSQL folds in ICU's root locale, whose full mapping JavaScript's is ("οδος", "i̇"), whatever
// locale the database was created with.

/** A text column folded to lower case in the store's dialect, as `foldCase` folds the text looked for. */
export const foldedColumn = (dialect: ModelDialect, column: string): string =>
  dialect === 'sqlite' ? `lower(${column})` : `lower(${column} COLLATE "und-x-icu")`;

/** The text a filter looks for, folded as foldedColumn folds the column it looks in. */
export const foldCase = (text: string): string => text.toLowerCase();

/**
 * Replaces SQLite's built-in lower() on this connection with foldCase (an application-defined function
 * takes precedence over a built-in of the same name and number of arguments). Replaced rather than named
 * anew, so a connection that has not registered it still runs the same statements, folding ASCII only.
 * Deterministic: SQLite may reuse a result within a statement. No index or constraint names lower(), so
 * none is built with one folding and read with the other.
 */
export function registerCaseFolding(db: Database.Database): void {
  db.function('lower', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? foldCase(text) : text));
}
