/**
 * User Timing measures of the panel's phases (detection, frame preparation, drawing), visible in
 * the browser's performance tools and read by the browser test. Costs a few microseconds.
 */
export const PERF_PREFIX = 'fp-anomaly:';

/** `detail`, read once `fn` ran, carries counts beside the time (detect: samples scored), for the browser test. */
export function timed<T>(phase: string, fn: () => T, detail?: () => Record<string, number>): T {
  const start = performance.now();
  const result = fn();
  record(phase, start, performance.now(), detail?.());
  return result;
}

export function record(phase: string, start: number, end = performance.now(), detail?: Record<string, number>): void {
  try {
    performance.measure(PERF_PREFIX + phase, { start, end, detail });
  } catch {
    // Environments without User Timing Level 3 (older jsdom): nothing to record.
  }
}
