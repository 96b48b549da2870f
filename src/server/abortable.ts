/**
 * `work`'s outcome, or the signal's reason as soon as it aborts first: for what cannot be aborted
 * itself (a store's answer, a clock's sleep), so that whoever waits for it stops waiting. Settled
 * late, its outcome goes nowhere (a late rejection is handled here too).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return work;
  }
  return new Promise<T>((resolve, reject) => {
    const abandon = () => reject(signal.reason);
    if (signal.aborted) {
      abandon();
    }
    signal.addEventListener('abort', abandon, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}
