/**
 * User Timing measures of the panel's phases (detection, frame preparation, drawing), visible in
 * the browser's performance tools and read by the browser test. Costs a few microseconds.
 */
export const PERF_PREFIX = 'fp-anomaly:';

export function timed<T>(phase: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  record(phase, start);
  return result;
}

export function record(phase: string, start: number, end = performance.now()): void {
  try {
    performance.measure(PERF_PREFIX + phase, { start, end });
  } catch {
    // Environments without User Timing Level 3 (older jsdom): nothing to record.
  }
}
