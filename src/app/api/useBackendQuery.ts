import { useCallback, useEffect, useRef, useState } from 'react';
import { BackendError } from './backend';

export interface BackendQuery<T> {
  loading: boolean;
  data?: T;
  error?: BackendError;
  reload: () => void;
}

/**
 * Runs a backend call when `key` changes, and again every `refreshMs` when given (live pages
 * refresh without a reload; a refresh keeps the old data on screen while it runs).
 */
export function useBackendQuery<T>(
  fetcher: () => Promise<T>,
  key: string,
  options: { refreshMs?: number; enabled?: boolean } = {}
): BackendQuery<T> {
  const { refreshMs, enabled = true } = options;
  const [state, setState] = useState<{ loading: boolean; data?: T; error?: BackendError }>({ loading: enabled });
  const [generation, setGeneration] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    if (!enabled) {
      return;
    }
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    fetcherRef
      .current()
      .then((data) => !cancelled && setState({ loading: false, data }))
      .catch((err: unknown) => {
        if (!cancelled) {
          const error = err instanceof BackendError ? err : new BackendError((err as Error)?.message ?? String(err), 0);
          setState((s) => ({ loading: false, data: s.data, error }));
        }
      });
    return () => {
      cancelled = true;
    };
  }, [key, generation, enabled]);

  useEffect(() => {
    if (!refreshMs || !enabled) {
      return;
    }
    const timer = setInterval(() => setGeneration((g) => g + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, enabled]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
