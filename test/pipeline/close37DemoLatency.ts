import { Random } from '../../src/detection';
import type { BackfillSeries } from '../harness/openmetrics';
import { MINUTE } from './helpers';

/** demo/workload.mjs's fault schedule (its defaults) starts 6 minutes in, and repeats every 20 (only its first cycle here). */
const FAULT_START = 6 * MINUTE;
/** The latency spike of each cycle, on every replica: 2 minutes after its start, for 3. */
export const DEMO_SPIKE = { from: FAULT_START + 2 * MINUTE, length: 3 * MINUTE };
export const DEMO_PODS = ['shop-0', 'shop-1', 'shop-2'];

/**
 * The demo workload's request-duration summaries as Prometheus scrapes them (every 15 s) for
 * `minutes` from its start at `t0`, its first spike only: per replica 10 requests a second of
 * 50-60 ms, 850-860 ms during the spike (demo/workload.mjs).
 */
export function demoLatency(t0: number, minutes: number): BackfillSeries[] {
  const rng = new Random(8);
  return DEMO_PODS.flatMap((pod) => {
    const labels = { namespace: 'demo', deployment: 'shop', pod, job: 'demo-workload' };
    const timestamps: number[] = [];
    const sum: number[] = [];
    const count: number[] = [];
    let seconds = 0;
    for (let elapsed = 0; elapsed <= minutes * MINUTE; elapsed += 1000) {
      const spiking = elapsed >= DEMO_SPIKE.from && elapsed < DEMO_SPIKE.from + DEMO_SPIKE.length;
      seconds += 10 * (0.05 + rng.next() * 0.01 + (spiking ? 0.8 : 0));
      if (elapsed % 15_000 === 0) {
        timestamps.push(t0 + elapsed);
        sum.push(seconds);
        count.push(10 * (elapsed / 1000 + 1));
      }
    }
    return [
      { name: 'demo_request_duration_seconds_sum', labels, timestamps, values: sum },
      { name: 'demo_request_duration_seconds_count', labels, timestamps, values: count },
    ];
  });
}
