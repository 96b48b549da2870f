import { createHash } from 'node:crypto';
import { Random } from '../random';
import type { CrossingEstimate, LimitDirection } from './types';

/**
 * Clean series (no gap, no outlier bucket) shaped as `npm run backtest`'s generated scenarios, and
 * the digest of every answer a crossing forecaster gives on them: what pins that the forecaster's
 * handling of gaps, garbage samples and a bucket's first samples leaves clean answers alone. The
 * series use arithmetic only (triangle waves, noise as a sum of uniforms), never sin or log, whose
 * V8 implementations have changed (as testOutputs.ts).
 */

const STEP_MS = 300_000;
const DAY_MS = 86_400_000;
/** Past the 8 days a history keeps, and a week-ago comparison. */
const DAYS = 10;
/** The forecaster's buckets, whose first samples are asked about. */
const BUCKET_MS = 1_800_000;
/** A Monday, as the backtest's. */
const START_MS = Date.UTC(2025, 0, 6);

export interface CleanSeries {
  name: string;
  timestamps: Float64Array;
  values: Float64Array;
  limit: number;
  direction: LimitDirection;
}

/** 0 at the period's start and end, 1 at its middle. */
const triangle = (t: number, period: number): number => 1 - Math.abs(((t % period) / period) * 2 - 1);

/** Noise of about unit spread: a centred sum of four uniforms, scaled to unit variance. */
const noise = (rng: Random): number => (rng.next() + rng.next() + rng.next() + rng.next() - 2) * Math.sqrt(3);

function series(
  name: string,
  seed: number,
  value: (tDays: number, rng: Random, state: Record<string, number>) => number,
  limit = 0.9,
  direction: LimitDirection = 'above'
): CleanSeries {
  const n = (DAYS * DAY_MS) / STEP_MS;
  const rng = new Random(seed);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const state: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    timestamps[i] = START_MS + i * STEP_MS;
    values[i] = value((i * STEP_MS) / DAY_MS, rng, state);
  }
  return { name, timestamps, values, limit, direction };
}

/** One series per backtest scenario, and a leak towards a lower limit (free space falling). */
export function cleanSeries(): CleanSeries[] {
  const rhythm = (t: number): number => 0.04 * triangle(t, 1);
  // Killed at 0.97 and starting again, as an OOM kill restarts a leaking process.
  const restartAt = (level: number, t: number, s: Record<string, number>): number => {
    if (level >= 0.97) {
      s.since = t;
    }
    return level;
  };
  return [
    series('linear leak', 1, (t, rng, s) => {
      s.since ??= 2;
      return restartAt(0.3 + 0.2 * Math.max(0, t - s.since) + rhythm(t) + 0.01 * noise(rng), t, s);
    }),
    series('accelerating leak', 2, (t, rng, s) => {
      s.since ??= 2;
      const d = Math.max(0, t - s.since);
      return restartAt(0.3 + 0.09 * d * d + rhythm(t) + 0.01 * noise(rng), t, s);
    }),
    series('disk with daily clean-ups', 3, (t, rng) => 0.4 + 0.38 * ((t - 3 / 24 + 1) % 1) + 0.005 * noise(rng)),
    series('daily cycle', 4, (t, rng) => 0.2 + 0.6 * triangle(t, 1) + 0.02 * noise(rng)),
    series('weekly cycle', 5, (t, rng) => 0.3 + 0.12 * triangle(t, 1) + 0.4 * triangle(t, 7) + 0.02 * noise(rng)),
    series('noisy plateau', 6, (t, rng) => 0.6 + 0.06 * noise(rng)),
    series('step changes', 7, (t, rng, s) => {
      if (s.next === undefined || t >= s.next) {
        s.level = 0.3 + 0.45 * rng.next();
        s.next = t + 1 + 2 * rng.next();
      }
      return s.level + 0.015 * noise(rng);
    }),
    series('leak with restarts', 8, (t, rng, s) => {
      if (s.restart === undefined || t >= s.restart) {
        s.since = t;
        s.restart = t + 1 + 3 * rng.next();
      }
      return 0.3 + 0.25 * (t - s.since) + 0.01 * noise(rng);
    }),
    series('free space falling', 9, (t, rng) => 0.9 - 0.08 * t + rhythm(t) + 0.01 * noise(rng), 0.1, 'below'),
  ];
}

/** What a crossing forecaster answers to (CrossingForecaster, or a build of it to compare with). */
export interface Forecaster {
  update(timestampMs: number, value: number): void;
  crossing(limit: number, direction: LimitDirection, coverage?: number): CrossingEstimate | string;
}

/**
 * sha256 of the answers after the first day at the first two samples of each bucket (80% and 95%,
 * as the backtest asks at its hourly cut points, which are among them): where a bucket's mean is
 * its fewest samples, so where the rules for a young bucket act. An answer is a crossing's seconds
 * and interval edges, NaN for none; why there is none is left out: no caller reads it (the API,
 * the gauge and the backtest take none), and a step seen in a bucket's first sample may now be
 * read as a reset a sample later, which changes only that reason.
 */
export function cleanAnswersDigest(create: () => Forecaster): string {
  const hash = createHash('sha256');
  for (const s of cleanSeries()) {
    const f = create();
    const out = new Float64Array(s.timestamps.length * 6).fill(NaN);
    for (let i = 0; i < s.timestamps.length; i++) {
      f.update(s.timestamps[i], s.values[i]);
      if (s.timestamps[i] - START_MS < DAY_MS || s.timestamps[i] % BUCKET_MS >= 2 * STEP_MS) {
        continue;
      }
      [0.8, 0.95].forEach((coverage, k) => {
        const c = f.crossing(s.limit, s.direction, coverage);
        if (typeof c !== 'string') {
          out.set([c.seconds, c.lowerSeconds, c.upperSeconds], 6 * i + 3 * k);
        }
      });
    }
    hash.update(s.name);
    hash.update(new Uint8Array(out.buffer));
  }
  return hash.digest('hex');
}
