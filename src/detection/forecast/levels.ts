/** Levels a series has already been in: a rise back into them is no leak (the crossing forecaster's guards). */
import { Scratch } from './scratch';
import { DAY_MS, MIN_WINDOW_MS } from './trend';

/**
 * Whether the day's mean is no higher than a day's mean the series already reached since the
 * last reset and left again: a rise back into levels it has been in (the rising days of a weekly
 * rhythm, a recovery after a quiet spell) is no sign of a leak; only a level beyond them is. The
 * rule before two days (a level not seen for a day, highestSince) extended to the history kept.
 */
export function backWithinLeftLevels(t: ArrayLike<number>, y: ArrayLike<number>, since: number, now: number): boolean {
  if (now - t[since] < DAY_MS + MIN_WINDOW_MS) {
    return false;
  }
  // Mean over the day ending at each bucket, by prefix sums and a trailing start index.
  const sum = PREFIX_SUMS.room(y.length - since + 1);
  sum[0] = 0;
  for (let i = since; i < y.length; i++) {
    sum[i - since + 1] = sum[i - since] + y[i];
  }
  let from = since;
  let highest = -Infinity;
  // Bound once: an imported constant read in a loop is a getter call once bundled as CommonJS.
  const day = DAY_MS;
  const recent = now - MIN_WINDOW_MS;
  for (let end = since; end < y.length; end++) {
    while (t[from] <= t[end] - day) {
      from++;
    }
    if (t[end] - day >= t[since] && t[end] < recent) {
      highest = Math.max(highest, meanTo(sum, since, end, from));
    }
  }
  return meanTo(sum, since, y.length - 1, from) <= highest;
}

/** backWithinLeftLevels()'s prefix sums from `since` on. */
const PREFIX_SUMS = new Scratch();

/** The mean of buckets from..end by the prefix sums from `since`. */
function meanTo(sum: Float64Array, since: number, end: number, from: number): number {
  return (sum[end - since + 1] - sum[from - since]) / (end - from + 1);
}

/** Highest signed bucket mean over the past day until two hours ago (before a reset too: a level seen then is no news). */
export function highestSince(y: ArrayLike<number>, t: ArrayLike<number>, now: number): number {
  let high = -Infinity;
  const recent = now - MIN_WINDOW_MS;
  const dayStart = now - DAY_MS;
  for (let i = 0; i < y.length && t[i] < recent; i++) {
    if (t[i] >= dayStart) {
      high = Math.max(high, y[i]);
    }
  }
  return high;
}
