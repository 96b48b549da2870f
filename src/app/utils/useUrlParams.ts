import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';

/**
 * Some search parameters of the page's URL as state, so that a filtered, sorted or paged view is a
 * link an operator can share or reload. A value equal to its default is left out of the URL. The
 * values are raw text from the address bar: the caller parses them. Changes replace the history
 * entry (typing in a filter would otherwise push one per key), and several keys change in one
 * update, as two calls in one event would each start from the same old URL. `defaults` is a
 * constant of the caller's module (one object for every render).
 */
export function useUrlParams<K extends string>(
  defaults: Record<K, string>
): [Record<K, string>, (patch: Partial<Record<K, string>>) => void] {
  const [search, setSearch] = useSearchParams();
  const values = useMemo(() => {
    const read = { ...defaults };
    for (const k of Object.keys(defaults) as K[]) {
      read[k] = search.get(k) ?? defaults[k];
    }
    return read;
  }, [search, defaults]);
  const update = useCallback(
    (patch: Partial<Record<K, string>>) =>
      setSearch(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [k, v] of Object.entries(patch) as Array<[K, string | undefined]>) {
            if (v === undefined || v === defaults[k]) {
              next.delete(k);
            } else {
              next.set(k, v);
            }
          }
          return next;
        },
        { replace: true }
      ),
    [setSearch, defaults]
  );
  return [values, update];
}

/** A page number as the URL holds it: a whole number from 1, else the first page (an edited or old link). */
export function pageOf(text: string): number {
  return /^\d+$/.test(text) && Number(text) >= 1 ? Number(text) : 1;
}
