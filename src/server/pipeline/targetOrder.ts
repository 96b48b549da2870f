import { z } from 'zod';
import { targetSortSchema, type Target, type TargetSort, type TargetsQuery } from '../../contract/pipeline';
import { SEVERITIES, type Severity } from '../../detection/severity';
import { foldCase } from './store/caseFolding';
import { CursorError, decodeCursor, encodeCursor } from './store/cursor';
import type { TargetModel } from './targetModel';

// The order and filters of GET /api/targets over the whole fleet, as memory and both stores apply
// them (the stores' SQL, in store/summarySql.ts, computes the same values).

/** What a target is sorted and filtered on: its listing's fields, whether from memory or a store. */
export type Listed = Pick<Target, 'id' | 'score' | 'severity' | 'failureModel' | 'timeToFailure' | 'openAnomalies'>;

/** What a target in memory is listed with (the fields toTarget gives it). */
export const listedOf = (t: TargetModel): Listed => ({
  id: t.id,
  score: t.score,
  severity: t.severity,
  failureModel: t.failureModel,
  timeToFailure: t.ttf,
  openAnomalies: t.open ? 1 : 0,
});

/** A target's place in a sort: the sorted value, then its id (the tie-break, in the same direction). */
export interface SortKey {
  value: number | string;
  id: string;
}

/**
 * When a target without a time to failure is expected to cross: the latest time a JavaScript Date
 * holds, later than any forecast, so such targets sort after every forecast (and the stores keep a
 * number, whose NULLs would sort first in SQLite and last in PostgreSQL).
 */
export const NO_CROSSING_MS = 8.64e15;

/** low 0 ... critical 3; none below low. */
export const severityRank = (severity: Severity | null): number =>
  severity === null ? -1 : SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);

export function sortValue(sort: TargetSort, t: Listed): number | string {
  switch (sort) {
    case 'target':
      return t.id;
    case 'score':
      return t.score;
    case 'severity':
      return severityRank(t.severity);
    case 'timeToFailure':
      // By crossing time: forecasts made at different steps count from different times.
      return t.timeToFailure ? t.timeToFailure.fromMs + t.timeToFailure.seconds * 1000 : NO_CROSSING_MS;
    case 'openAnomalies':
      return t.openAnomalies;
  }
}

/** The filters every listing applies, sorted or not (the watch is chosen by the caller). */
export function matchesFilters(t: Listed, q: Pick<Partial<TargetsQuery>, 'severity' | 'anomalous' | 'q'>): boolean {
  if (q.severity !== undefined && t.severity !== q.severity) {
    return false;
  }
  if (q.anomalous !== undefined && t.openAnomalies > 0 !== (q.anomalous === 'true')) {
    return false;
  }
  const needle = q.q === undefined ? undefined : foldCase(q.q);
  return !needle || foldCase(t.id).includes(needle) || (t.failureModel?.includes(needle) ?? false);
}

/** -1, 0 or 1: `a` before `b` ascending, by value then id. */
export function compareKeys(a: SortKey, b: SortKey): number {
  return a.value < b.value ? -1 : a.value > b.value ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const orderSchema = z.enum(['asc', 'desc']);

/** A sorted page's cursor: its sort and order (a page of another sort refuses it), its last target's key. */
const sortedCursorSchema = z.tuple([targetSortSchema, orderSchema, z.union([z.number(), z.string()]), z.string()]);

export function sortedCursor(sort: TargetSort, order: 'asc' | 'desc', last: SortKey): string {
  return encodeCursor([sort, order, last.value, last.id]);
}

/**
 * The key a sorted page starts after, from the `next` of the page before; a cursor of another listing
 * is refused (CursorError: the caller reads it with readingCursor).
 */
export function sortedAfter(sort: TargetSort, order: 'asc' | 'desc', cursor: string): SortKey {
  const [s, o, value, id] = decodeCursor(cursor, sortedCursorSchema);
  const fits =
    sort === 'target'
      ? typeof value === 'string'
      : typeof value === 'number' && (sort !== 'severity' || Number.isInteger(value));
  if (s !== sort || o !== order || !fits) {
    throw new CursorError('cursor: the next of a page in another order; start again without a cursor');
  }
  return { value, id };
}
