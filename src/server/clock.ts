/**
 * The server's one clock: every loop, deadline, back-off and timestamp reads time through this,
 * passed down from main.ts, so tests move time instead of waiting for it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Milliseconds on a monotonic clock (not the epoch): how long work has held the thread (loopTurns.ts). */
  elapsed(): number;
  sleep(ms: number): Promise<void>;
  /** A signal that aborts once `ms` of this clock's time has passed: the timeout of one request. */
  timeout(ms: number): AbortSignal;
  /** Runs `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /**
   * Runs `fn` once after `ms` unless the returned function is called first. `unref`: the wait alone
   * does not keep the process alive (an idle worker's stop, which a closing server need not wait for).
   */
  after(ms: number, fn: () => void, options?: { unref?: boolean }): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  elapsed: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  timeout: (ms) => AbortSignal.timeout(ms),
  every: (ms, fn) => {
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  },
  after: (ms, fn, options) => {
    const timer = setTimeout(fn, ms);
    if (options?.unref === true) {
      timer.unref();
    }
    return () => clearTimeout(timer);
  },
};
