import { Random } from '../../src/detection';
import { BASE_BYTES, LEAKING_POD, LIMIT_BYTES, leaks, nextMemory } from '../../demo/memory.mjs';

/**
 * The compose demo's leaking replica as Prometheus scrapes it (every 15 s) from the workload's start
 * at `t0`: its memory second by second as demo/workload.mjs makes it, until it restarts at its limit
 * (`restartMs` after `t0`), and `afterMs` beyond: the series demo/workload.mjs exports for it.
 */
export function demoLeak(
  t0: number,
  afterMs: number
): {
  restartMs: number;
  series: Array<{ name: string; labels: Record<string, string>; timestamps: number[]; values: number[] }>;
} {
  const rng = new Random(34);
  const timestamps: number[] = [];
  const memory: number[] = [];
  const restartCounts: number[] = [];
  let restartMs = NaN;
  let bytes = BASE_BYTES;
  let restarts = 0;
  for (let elapsed = 0; Number.isNaN(restartMs) || elapsed <= restartMs + afterMs; elapsed += 1000) {
    const next = nextMemory(bytes, leaks(LEAKING_POD, elapsed, restarts), () => rng.next());
    bytes = next.bytes;
    if (next.restarted) {
      restarts++;
      restartMs = elapsed;
    }
    if (elapsed % 15_000 === 0) {
      timestamps.push(t0 + elapsed);
      memory.push(Math.round(bytes));
      restartCounts.push(restarts);
    }
  }
  const labels = { namespace: 'demo', deployment: 'shop', pod: LEAKING_POD, job: 'demo-workload' };
  return {
    restartMs,
    series: [
      { name: 'demo_memory_working_set_bytes', labels, timestamps, values: memory },
      { name: 'demo_memory_limit_bytes', labels, timestamps, values: timestamps.map(() => LIMIT_BYTES) },
      { name: 'demo_restarts_total', labels, timestamps, values: restartCounts },
    ],
  };
}
