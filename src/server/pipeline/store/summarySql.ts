import { z } from 'zod';
import type { TargetSort } from '../../../contract/pipeline';
import { SEVERITIES } from '../../../detection/severity';
import { decodeRow } from '../../store/rows';
import { NO_CROSSING_MS, severityRank, type SortKey } from '../targetOrder';
import { foldCase, foldedColumn } from './caseFolding';

// The SQL of the stored target listing's filters and sorts (pipeline_target_summaries), in each
// store's dialect, with `?` placeholders (PostgreSQL's statements number them). The sorted values are
// targetOrder.ts's, computed from the stored summary; the indexes that serve them name the same
// expressions (an index on an expression serves only a query naming that expression).

export type SummaryDialect = 'sqlite' | 'postgres';

/** A number field of the stored summary (JSON text in SQLite, JSONB in PostgreSQL). */
const field = (dialect: SummaryDialect, path: string[]) =>
  dialect === 'sqlite' ? `json_extract(summary, '$.${path.join('.')}')` : `(summary #>> '{${path.join(',')}}')::float8`;

/**
 * The id as both stores and memory order it: PostgreSQL compares text in the database's collation
 * unless told, where SQLite compares bytes (as JavaScript compares code units, but for characters
 * beyond U+FFFF).
 */
const id = (dialect: SummaryDialect) => (dialect === 'sqlite' ? 'id' : 'id COLLATE "C"');

/** Each sort's value of a stored row, as targetOrder.ts's sortValue computes it from a listing. */
export function sortSql(dialect: SummaryDialect, sort: TargetSort): string {
  switch (sort) {
    case 'target':
      return id(dialect);
    case 'score':
      return field(dialect, ['score']);
    case 'severity':
      return `CASE severity ${SEVERITIES.map((s) => `WHEN '${s}' THEN ${severityRank(s)}`).join(' ')} ELSE ${severityRank(null)} END`;
    case 'timeToFailure': {
      const [from, seconds] = [
        field(dialect, ['timeToFailure', 'fromMs']),
        field(dialect, ['timeToFailure', 'seconds']),
      ];
      return `COALESCE(${from} + ${seconds} * 1000, ${NO_CROSSING_MS})`;
    }
    case 'openAnomalies':
      return field(dialect, ['openAnomalies']);
  }
}

/** The columns a sort orders by: its value, then the id (the sort by target is the id alone). */
const sortColumns = (dialect: SummaryDialect, sort: TargetSort) =>
  sort === 'target' ? [id(dialect)] : [sortSql(dialect, sort), id(dialect)];

/**
 * The indexes the sorts read, a page at a time in either direction: SQLite's by target is the id's
 * own (migration 0011); PostgreSQL's compares ids in "C", which its id index does not. Migrations
 * (SQLite 0021, PostgreSQL 17) hold this text as it was, frozen: a test holds the two equal.
 */
export function sortIndexes(dialect: SummaryDialect): string {
  const sorts: TargetSort[] = ['score', 'severity', 'timeToFailure', 'openAnomalies'];
  return [...sorts, ...(dialect === 'postgres' ? ['target' as const] : [])]
    .map(
      (sort) =>
        `CREATE INDEX pipeline_target_summaries_by_${sort.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}
           ON pipeline_target_summaries (${sortColumns(dialect, sort)
             .map((c) => (c.startsWith('id') ? c : `(${c})`))
             .join(', ')});`
    )
    .join('\n');
}

/** The listing's filters as a WHERE's terms and their values. */
export interface SummaryFilters {
  watches: string[];
  severity?: string;
  anomalous?: 'true' | 'false';
  q?: string;
}

/**
 * `sorted`: the page is read in a sort's index order. SQLite, without statistics, would read the
 * watches' rows on the primary key and sort them all: its unary `+` keeps the primary key out.
 */
export function filterTerms(
  dialect: SummaryDialect,
  f: SummaryFilters,
  sorted = false
): { terms: string[]; params: unknown[] } {
  const watch = sorted && dialect === 'sqlite' ? '+watch' : 'watch';
  const terms = [`${watch} IN (${f.watches.map(() => '?').join(', ')})`];
  const params: unknown[] = [...f.watches];
  if (f.severity !== undefined) {
    terms.push('severity = ?');
    params.push(f.severity);
  }
  if (f.anomalous !== undefined) {
    terms.push('anomalous = ?');
    params.push(f.anomalous === 'true' ? 1 : 0);
  }
  if (f.q) {
    // As matchesFilters: the id in any case, the failure model as it is (its words are lower case).
    terms.push(
      dialect === 'sqlite'
        ? `(instr(${foldedColumn(dialect, 'id')}, ?) > 0 OR instr(json_extract(summary, '$.failureModel'), ?) > 0)`
        : `(strpos(${foldedColumn(dialect, 'id')}, ?) > 0 OR strpos(summary ->> 'failureModel', ?) > 0)`
    );
    params.push(foldCase(f.q), foldCase(f.q));
  }
  return { terms, params };
}

/**
 * A sorted page's statement: `columns` of the rows after `after` in the sort's order (keyset: a row
 * value compared with the index's columns), `rows` of them.
 */
export function sortedSummariesSql(
  dialect: SummaryDialect,
  columns: string,
  f: SummaryFilters & { sort: TargetSort; order: 'asc' | 'desc'; after?: SortKey },
  rows: number
): { sql: string; params: unknown[] } {
  const { terms, params } = filterTerms(dialect, f, true);
  const keys = sortColumns(dialect, f.sort);
  const direction = f.order === 'asc' ? 'ASC' : 'DESC';
  const [beyond, reached] = f.order === 'asc' ? ['>', '>='] : ['<', '<='];
  if (f.after !== undefined && f.sort === 'target') {
    terms.push(`${keys[0]} ${beyond} ?`);
    params.push(f.after.id);
  } else if (f.after !== undefined) {
    // The row value is the keyset; the value's own bound lets SQLite seek the index to it (it reads a
    // row value over an expression only as a filter, from the index's end).
    terms.push(`${keys[0]} ${reached} ?`, `(${keys.join(', ')}) ${beyond} (?, ?)`);
    params.push(f.after.value, f.after.value, f.after.id);
  }
  return {
    sql: `SELECT ${columns} FROM pipeline_target_summaries WHERE ${terms.join(' AND ')}
          ORDER BY ${keys.map((k) => `${k} ${direction}`).join(', ')} LIMIT ?`,
    params: [...params, rows],
  };
}

/** How many rows the filters match. */
export function countSql(dialect: SummaryDialect, f: SummaryFilters): { sql: string; params: unknown[] } {
  const { terms, params } = filterTerms(dialect, f);
  return {
    sql: `SELECT CAST(COUNT(*) AS INTEGER) AS n FROM pipeline_target_summaries WHERE ${terms.join(' AND ')}`,
    params,
  };
}

const countRow = z.object({ n: z.number().int() });
export const readCount = (raw: unknown): number => decodeRow(countRow, 'pipeline_target_summaries', raw).n;
