import { assess } from '../../../detection';
import type { AnomalyRange, Side } from './analysis';

export interface RangeInput {
  time: ArrayLike<number>;
  values: ArrayLike<number>;
  score: ArrayLike<number>;
  expected: ArrayLike<number>;
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
}

/**
 * Turns scored points into ranges. A detector scores an event once (its alarm memory keeps the
 * rest of the event quiet), so each point at or over the threshold is widened to the stretch of
 * samples around it that stay outside the band on the same side; ranges of the same side closer
 * than `mergeGapSteps` samples become one, so a flapping series gives one region, not a storm.
 */
export function findRanges(input: RangeInput, threshold: number, mergeGapSteps = 3): AnomalyRange[] {
  const { time, values, score, expected, lower, upper } = input;
  const n = values.length;
  const out: Array<AnomalyRange & { startIdx: number; endIdx: number }> = [];
  const outside = (j: number, side: Side): boolean => (side === 'above' ? values[j] > upper[j] : values[j] < lower[j]);
  for (let i = 0; i < n; i++) {
    if (!(score[i] >= threshold) || !Number.isFinite(values[i])) {
      continue;
    }
    const side: Side = values[i] >= expected[i] || Number.isNaN(expected[i]) ? 'above' : 'below';
    let start = i;
    while (start > 0 && outside(start - 1, side)) {
      start--;
    }
    let end = i;
    while (end + 1 < n && outside(end + 1, side)) {
      end++;
    }
    const last = out[out.length - 1];
    if (last && last.side === side && start <= last.endIdx + mergeGapSteps) {
      last.endIdx = Math.max(last.endIdx, end);
      last.endMs = time[last.endIdx];
      if (score[i] > last.peakScore) {
        last.peakScore = score[i];
        last.peakMs = time[i];
      }
      continue;
    }
    out.push({
      startIdx: start,
      endIdx: end,
      startMs: time[start],
      endMs: time[end],
      peakMs: time[i],
      peakScore: score[i],
      side,
      severity: 'low',
    });
  }
  return out.map((r) => ({
    startMs: r.startMs,
    endMs: r.endMs,
    peakMs: r.peakMs,
    peakScore: r.peakScore,
    side: r.side,
    severity: assess({ signals: [{ name: 'series', kind: 'other', score: r.peakScore, direction: r.side }], threshold })
      .severity,
  }));
}
