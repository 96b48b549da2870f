import type { LimitDirection } from './types';

/** The lowest and highest values a series has had (a forecaster's history: BucketHistory.range). */
export interface SeenRange {
  lowest: number;
  highest: number;
}

/** More than a float32 history rounds a ratio's 1 up by, less than any ratio passes 1 by. */
const RATIO_SLACK = 1e-6;

/**
 * Whether a limit lies so far beyond every value its series has had that it is most likely written
 * in another unit, so that no trend will ever be forecast to reach it. A unit slip is a factor (100
 * between a ratio and a percent, 1000 between seconds and milliseconds), and the one a bare number
 * invites is a percent for a ratio or back. "Far" is the limit and every value seen lying on either
 * side of the span from 1 to 10: a factor of 10 apart at least, across 1, where a ratio (at most 1)
 * and a percent part:
 * - above: every value within [-1, 1] and the limit over 10 (90 on a 0-1 ratio series);
 * - below: every value 10 or more and the limit between 0 and 1 (0.9 on a percent series).
 * A distant limit of the same unit stays on the series' side of that span however far it is: a disk
 * 5% used against 90, memory at 100 MiB against 4 GiB, a 0.2 s latency against 5 s, 0.3 CPU cores
 * against 2. A limit of 0 is never a slip (0 is 0 in every unit).
 *
 * Returns the value seen the limit is far from (the highest for `above`, the lowest for `below`),
 * or null when it is not far or nothing was seen. The history's range is read only for a limit that
 * may be far: most are not, whatever the series.
 */
export function farFromSeen(
  limit: number,
  direction: LimitDirection,
  history: { range(): SeenRange | null }
): number | null {
  const above = direction === 'above';
  if (above ? !(limit > 10) : !(limit > 0 && limit < 1)) {
    return null;
  }
  const seen = history.range();
  if (seen === null) {
    return null;
  }
  if (above) {
    return Math.max(Math.abs(seen.lowest), Math.abs(seen.highest)) <= 1 + RATIO_SLACK ? seen.highest : null;
  }
  return seen.lowest >= 10 ? seen.lowest : null;
}
