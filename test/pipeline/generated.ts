import { Random } from '../../src/detection';
import type { BackfillSeries } from '../harness/openmetrics';

export const MINUTE = 60_000;
export const T0 = Date.UTC(2025, 0, 6);
export const DAYS = 3;
export const MEMORY_LIMIT = 1e9;
/** The leaking pod starts at day 2 and crosses MEMORY_LIMIT at LEAK_CROSSING. */
export const LEAK_START = T0 + 2 * 86_400_000;
const LEAK_SLOPE_PER_MIN = 0.5e6;
const LEAK_BASE = 400e6;
export const LEAK_CROSSING = LEAK_START + ((MEMORY_LIMIT - LEAK_BASE) / LEAK_SLOPE_PER_MIN) * MINUTE;
/** One replica's CPU drifts away from its three siblings from here. */
export const DEPARTURE_START = T0 + 2 * 86_400_000 + 6 * 3_600_000;

/**
 * Three days of one-minute data for one namespace: `cache-0` (deployment cache) leaks memory from
 * day 2 until it crosses its 1 GB limit; deployment `web` has four replicas of which `web-d` slowly
 * departs from the others in CPU while they stay put.
 */
export function generatedFleet(): BackfillSeries[] {
  const rng = new Random(11);
  const n = DAYS * 1440;
  const timestamps = Array.from({ length: n }, (_, i) => T0 + i * MINUTE);
  const noise = () => rng.next() + rng.next() + rng.next() - 1.5;
  const daily = (t: number) => Math.sin((2 * Math.PI * (t - T0)) / 86_400_000);
  const series: BackfillSeries[] = [];
  const leak = timestamps.map(
    (t) =>
      LEAK_BASE +
      5e6 * daily(t) +
      2e6 * noise() +
      (t >= LEAK_START ? ((t - LEAK_START) / MINUTE) * LEAK_SLOPE_PER_MIN : 0)
  );
  series.push({
    name: 'app_memory_bytes',
    labels: { namespace: 'shop', deployment: 'cache', pod: 'cache-0' },
    timestamps,
    values: leak.map((v) => Math.min(v, MEMORY_LIMIT * 1.02)),
  });
  series.push({
    name: 'app_cpu_seconds',
    labels: { namespace: 'shop', deployment: 'cache', pod: 'cache-0' },
    timestamps,
    values: timestamps.map(() => 0.2 + 0.01 * noise()),
  });
  for (const pod of ['web-a', 'web-b', 'web-c', 'web-d']) {
    series.push({
      name: 'app_memory_bytes',
      labels: { namespace: 'shop', deployment: 'web', pod },
      timestamps,
      values: timestamps.map(() => 300e6 + 3e6 * noise()),
    });
    series.push({
      name: 'app_cpu_seconds',
      labels: { namespace: 'shop', deployment: 'web', pod },
      timestamps,
      values: timestamps.map((t) => {
        const base = 0.5 + 0.2 * daily(t) + 0.02 * noise();
        // web-d drifts up by 0.1 per hour: slow enough that its own history absorbs it, not its siblings.
        return pod === 'web-d' && t >= DEPARTURE_START ? base + (0.1 * (t - DEPARTURE_START)) / 3_600_000 : base;
      }),
    });
  }
  return series;
}

export const FLEET_WATCH = {
  name: 'shop-pods',
  queries: { memory: 'app_memory_bytes', cpu: 'app_cpu_seconds' },
  target: ['namespace', 'deployment', 'pod'],
  peers: ['namespace', 'deployment'],
  step: '1m',
  history: '3d',
  limits: { memory: MEMORY_LIMIT },
};
