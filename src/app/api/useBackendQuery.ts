import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { BackendError } from './backend';
import { messageOf } from './fetchFailure';

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
  // `settled` names the request the state answers; loading is any other one still in flight.
  const [state, setState] = useState<{ settled?: string; data?: T; error?: BackendError }>({});
  const [generation, setGeneration] = useState(0);
  const fetcherRef = useRef(fetcher);
  useLayoutEffect(() => {
    fetcherRef.current = fetcher;
  });
  const request = `${key}#${generation}`;

  useEffect(() => {
    if (!enabled) {
      return;
    }
    let cancelled = false;
    fetcherRef
      .current()
      .then((data) => !cancelled && setState({ settled: request, data }))
      .catch((err: unknown) => {
        if (!cancelled) {
          const error = err instanceof BackendError ? err : new BackendError(messageOf(err), 0);
          setState((s) => ({ settled: request, data: s.data, error }));
        }
      });
    return () => {
      cancelled = true;
    };
  }, [request, enabled]);

  useEffect(() => {
    if (!refreshMs || !enabled) {
      return;
    }
    const timer = setInterval(() => setGeneration((g) => g + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, enabled]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { loading: enabled && state.settled !== request, data: state.data, error: state.error, reload };
}
