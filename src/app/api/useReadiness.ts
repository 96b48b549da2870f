import { useCallback, useEffect, useState } from 'react';
import { readinessSchema, type Readiness } from '../../contract/health';
import { BackendError, backendRequest } from './backend';

export interface ReadinessState {
  loading: boolean;
  readiness?: Readiness;
  error?: BackendError;
  reload: () => void;
}

/** The backend's /readyz through the proxy. A 503 still carries the checks, so it is data, not an error. */
export function useReadiness(): ReadinessState {
  const [state, setState] = useState<Omit<ReadinessState, 'reload'>>({ loading: true });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    backendRequest('readyz', readinessSchema)
      .then((readiness) => !cancelled && setState({ loading: false, readiness }))
      .catch((err: BackendError) => {
        if (cancelled) {
          return;
        }
        const parsed = readinessSchema.safeParse(err.body);
        setState(parsed.success ? { loading: false, readiness: parsed.data } : { loading: false, error: err });
      });
    return () => {
      cancelled = true;
    };
  }, [generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
