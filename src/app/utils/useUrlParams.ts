import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';

/** How a change of the URL's parameters enters the browser's history. */
export interface UrlParamsChange {
  /**
   * Replace the current history entry instead of adding one: for a change made as the user types (a
   * text filter), which would otherwise leave an entry per key for Back to step through.
   */
  replace?: boolean;
}

/** The change of a text filter as the user types it. */
export const TYPING: UrlParamsChange = { replace: true };

/**
 * Some search parameters of the page's URL as state, so that a filtered, sorted or paged view is a
 * link an operator can share or reload. A value equal to its default is left out of the URL. The
 * values are raw text from the address bar: the caller parses them.
 *
 * A change adds a history entry, so the browser's Back returns to the previous page, sort, filter or
 * time range rather than leaving the page (as Grafana's own time picker does); a change made while
 * typing passes `{ replace: true }`. A change that leaves the URL as it is adds nothing. Several keys
 * change in one update, as two calls in one event would each start from the same old URL.
 * `defaults` is a constant of the caller's module (one object for every render).
 */
export function useUrlParams<K extends string>(
  defaults: Record<K, string>
): [Record<K, string>, (patch: Partial<Record<K, string>>, change?: UrlParamsChange) => void] {
  const [search, setSearch] = useSearchParams();
  const values = useMemo(() => {
    const read = { ...defaults };
    for (const k of Object.keys(defaults) as K[]) {
      read[k] = search.get(k) ?? defaults[k];
    }
    return read;
  }, [search, defaults]);
  const update = useCallback(
    (patch: Partial<Record<K, string>>, change: UrlParamsChange = {}) => {
      const next = new URLSearchParams(search);
      for (const [k, v] of Object.entries(patch) as Array<[K, string | undefined]>) {
        if (v === undefined || v === defaults[k]) {
          next.delete(k);
        } else {
          next.set(k, v);
        }
      }
      // The same page again (a range applied unchanged) is no step for Back to stop at.
      if (next.toString() !== search.toString()) {
        setSearch(next, { replace: change.replace ?? false });
      }
    },
    [search, setSearch, defaults]
  );
  return [values, update];
}

/** A page number as the URL holds it: a whole number from 1, else the first page (an edited or old link). */
export function pageOf(text: string): number {
  return /^\d+$/.test(text) && Number(text) >= 1 ? Number(text) : 1;
}
