// The demo replicas' memory, second by second, with shop-0's one slow leak: workload.mjs serves it,
// and test/pipeline/firstHour.test.ts drives the pipeline with exactly this shape. Pure: time and
// randomness come from the caller.

export const LIMIT_BYTES = 512 * 1024 * 1024;
export const BASE_BYTES = 160 * 1024 * 1024;
/** The replica that leaks. */
export const LEAKING_POD = 'shop-0';
/** The leak starts once the models have learned the replicas' normal memory (probation is 5 minutes). */
const LEAK_START_MS = 6 * 60_000;
/**
 * When the leak reaches the limit. The forecaster needs two hours of history and, before it has a
 * day, forecasts no farther than half the history it has: a crossing at 3 h shows from about 2 h.
 */
const LEAK_CROSSING_MS = 3 * 3_600_000;
const LEAK_BYTES_PER_SECOND = (LIMIT_BYTES - BASE_BYTES) / ((LEAK_CROSSING_MS - LEAK_START_MS) / 1000);
/** Steady noise keeps the learned band narrow; the leak stands out of it. */
const NOISE_BYTES = 256 * 1024;

/** Whether `pod` leaks `elapsedMs` after start, having restarted `restarts` times: shop-0, until its first restart. */
export const leaks = (pod, elapsedMs, restarts) => pod === LEAKING_POD && elapsedMs >= LEAK_START_MS && restarts === 0;

/**
 * A replica's memory one second after `bytes` (`random` in [0, 1)); at the limit it restarts
 * (`restarted`), back at its base.
 */
export function nextMemory(bytes, leaking, random) {
  const next = Math.max(
    BASE_BYTES * 0.9,
    bytes + (leaking ? LEAK_BYTES_PER_SECOND : 0) + (random() - 0.5) * NOISE_BYTES
  );
  if (next >= LIMIT_BYTES) {
    return { bytes: BASE_BYTES, restarted: true };
  }
  // A replica that does not leak wanders no farther than 10% above its base.
  return { bytes: !leaking && next > BASE_BYTES * 1.1 ? BASE_BYTES : next, restarted: false };
}
