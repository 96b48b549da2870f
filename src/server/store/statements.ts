import type Database from 'better-sqlite3';

/** Distinct SQL texts kept prepared; a list query's text depends only on which filters are given, so few exist. */
export const MAX_CACHED_STATEMENTS = 256;

/**
 * Prepared statements by their SQL text, for queries built per request from a filter (the list
 * pages): preparing one costs about as much as reading a page of it. Bounded: past
 * MAX_CACHED_STATEMENTS texts it starts again empty rather than grow with unexpected variety.
 */
export function statementCache(
  db: Database.Database,
  max = MAX_CACHED_STATEMENTS
): (sql: string) => Database.Statement {
  const cached = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cached.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      if (cached.size >= max) {
        cached.clear();
      }
      cached.set(sql, statement);
    }
    return statement;
  };
}
