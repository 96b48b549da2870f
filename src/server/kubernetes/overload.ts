import { ApiException } from '@kubernetes/client-node';

/** Tries a request this often in all while the API server sheds load, as client-go retries (fewer times). */
export const OVERLOAD_ATTEMPTS = 3;

// A Retry-After longer than this is not waited for inside one request: the caller's own back-off decides.
const MAX_WAIT_SECONDS = 10;

/**
 * How long to wait before sending again a request the API server turned away unprocessed, or
 * undefined when it was not that. Its overload filters (max-in-flight and priority and fairness:
 * apiserver pkg/server/filters/maxinflight.go and priority-and-fairness.go, tooManyRequests) answer
 * 429 in plain text, "Too many requests, please try again later.", with Retry-After; the request never
 * reached a handler, so sending it again is safe whatever its verb. client-go does the same for any
 * 429 that carries Retry-After (rest/request.go, checkWait). A 429 whose body is a Status came from a
 * handler (an eviction a PodDisruptionBudget refuses): that one is the caller's to handle.
 */
export function overloadWaitMs(err: unknown): number | undefined {
  if (!(err instanceof ApiException) || err.code !== 429) {
    return undefined;
  }
  const body = typeof err.body === 'string' ? err.body.trim() : undefined;
  if (body === undefined || body.startsWith('{')) {
    return undefined;
  }
  const seconds = Number(err.headers?.['retry-after']);
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_WAIT_SECONDS ? seconds * 1000 : undefined;
}
