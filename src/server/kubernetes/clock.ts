/** Time for the Kubernetes actions: injected so tests never really wait for backoffs, deadlines or timeouts. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** A signal that aborts once `ms` of this clock's time has passed: the timeout of one API request. */
  timeout(ms: number): AbortSignal;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  timeout: (ms) => AbortSignal.timeout(ms),
};
