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
  // `settled` is the generation the state answers; a newer one is loading.
  const [state, setState] = useState<{ settled?: number; readiness?: Readiness; error?: BackendError }>({});
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    backendRequest('readyz', readinessSchema)
      .then((readiness) => !cancelled && setState({ settled: generation, readiness }))
      .catch((err: BackendError) => {
        if (cancelled) {
          return;
        }
        const parsed = readinessSchema.safeParse(err.body);
        setState(
          parsed.success ? { settled: generation, readiness: parsed.data } : { settled: generation, error: err }
        );
      });
    return () => {
      cancelled = true;
    };
  }, [generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { loading: state.settled !== generation, readiness: state.readiness, error: state.error, reload };
}
