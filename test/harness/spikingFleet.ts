import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';

const MINUTE = 60_000;

/**
 * A fleet of `targets` jobs, each a slow sine around its own level, for the pipeline tests that
 * stop, fail or move a running watch: job 7 departs by +400 for six one-minute steps from
 * `spikeAt`, so one anomaly opens and closes. Jobs are named by `name` (`j07`, or `j7`).
 */
export function spikingFleet({
  targets,
  spikeAt,
  name = (k) => `j${k}`,
}: {
  targets: number;
  spikeAt: number;
  name?: (k: number) => string;
}): RangeQuerier {
  return sampledQuerier(
    Array.from({ length: targets }, (_, k) => ({
      labels: { job: name(k) },
      value: (t: number) => {
        const spike = k === 7 && t >= spikeAt && t < spikeAt + 6 * MINUTE;
        return 50 + k + 3 * Math.sin(t / (7 * MINUTE) + k) + (spike ? 400 : 0);
      },
    }))
  );
}

/** A querier that answers every query with these series, each sampled at every step of the range asked. */
export function sampledQuerier(
  series: Array<{ labels: Record<string, string>; value: (t: number) => number }>
): RangeQuerier {
  return {
    queryRange: async (q) => {
      const n = (q.end - q.start) / q.stepMs + 1;
      const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
      return series.map(({ labels, value }) => ({ labels, timestamps, values: timestamps.map(value) }));
    },
  };
}

/** Two-digit job names (`j07`), sorting as numbers do. */
export const padded = (k: number) => `j${String(k).padStart(2, '0')}`;

/** A watch with a target per job: one minute steps, three hours of history, z-scores. */
export const jobWatch = {
  name: 'w',
  queries: { x: 'x' },
  target: ['job'],
  step: '1m',
  history: '3h',
  lag: 0,
  probation: 60,
  detector: 'zscore',
};

/** The watch over that fleet, closing an anomaly after two calm steps. */
export const spikingWatchConfig = { watches: [{ ...jobWatch, closeAfter: 2 }] };
