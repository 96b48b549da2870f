import type { ModelsQuery } from '../../../contract/pipeline';
import { foldCase, foldedColumn } from './caseFolding';

/** The SQL dialect of a store: its statements differ only where the two databases do. */
export type ModelDialect = 'sqlite' | 'postgres';

/**
 * Each target's current version: running (active) or its target gone (retired); at most one a
 * target, as a new active version supersedes both. The indexes the Models page reads (SQLite
 * migration 0024, PostgreSQL 20) are partial on this text: a partial index serves a query only when
 * its WHERE names the index's condition as written here.
 */
export const CURRENT_MODELS = `status IN ('active', 'retired')`;

/** The model list's filters as WHERE terms (`?` placeholders) and their values, in order. */
export function modelFilters(
  q: Partial<Pick<ModelsQuery, 'target' | 'watch' | 'status' | 'q'>>,
  dialect: ModelDialect = 'sqlite'
): { terms: string[]; params: unknown[] } {
  const contains = `${dialect === 'sqlite' ? 'instr' : 'strpos'}(${foldedColumn(dialect, 'target_id')}, ?) > 0`;
  const given = (
    [
      ['target_id = ?', q.target],
      ['watch = ?', q.watch],
      ['status = ?', q.status === 'current' ? undefined : q.status],
      // As the targets listing: the id in any case.
      [contains, q.q ? foldCase(q.q) : undefined],
    ] as const
  ).filter(([, value]) => value !== undefined);
  return {
    terms: [...given.map(([term]) => term), ...(q.status === 'current' ? [CURRENT_MODELS] : [])],
    params: given.map(([, value]) => value),
  };
}

/** `WHERE` and the terms, or nothing without any. */
export const whereClause = (terms: string[]): string => (terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '');
