import { labelKey } from './resilient';
import { PrometheusError, type RangeSeries } from './types';

/** The steps a range answer was asked for: its first step and the step between two, in epoch ms. */
export interface StepGrid {
  start: number;
  stepMs: number;
}

/**
 * Why a range answer cannot be lined up with the steps asked, or undefined when it can: a sample
 * off the step grid, or a series whose times do not increase. The watch walks samples and steps
 * together and reads a sample only at a step: it took the first of a repeated step, lost every step
 * that came out of order, and ignored a sample off the grid, all without a word.
 *
 * Prometheus evaluates query_range at start + k × step only (promql's range evaluation), and writes
 * each series' samples at increasing times. Nothing documented answers elsewhere: the query
 * frontends that move a query's start (Cortex, Mimir and Thanos' step alignment, for their caches)
 * move it to a multiple of the step, which every query of a watch already starts at, and Thanos
 * reads its downsampled blocks through the same engine. So a sample off the grid (a proxy that moved
 * it, a buggy upstream) is refused, not snapped to a step it may not belong to. A sample on the grid
 * but outside the range asked is no step of the answer and is left unread.
 */
export function answerTimesFault(series: RangeSeries[], grid: StepGrid): PrometheusError | undefined {
  for (const [index, { labels, timestamps }] of series.entries()) {
    for (let i = 0; i < timestamps.length; i++) {
      if ((timestamps[i] - grid.start) % grid.stepMs !== 0) {
        return timeFault(
          `a sample off the step grid at result.${index}.values.${i}.0: ${seconds(timestamps[i])} is not ${seconds(grid.start)} plus a whole number of ${seconds(grid.stepMs)} s steps, where Prometheus evaluates a range query`,
          labels
        );
      }
      if (i > 0 && !(timestamps[i] > timestamps[i - 1])) {
        return timeFault(
          `a time out of order at result.${index}.values.${i}.0: ${seconds(timestamps[i])} after ${seconds(timestamps[i - 1])}, not a time after the one before`,
          labels
        );
      }
    }
  }
  return undefined;
}

/** The error of a fault in a series' times, naming the series (built only then: the check runs over every sample). */
function timeFault(fault: string, labels: Record<string, string>): PrometheusError {
  return new PrometheusError(
    'malformed',
    `Prometheus answered query_range with ${fault} (series {${labelKey(labels)}})`
  );
}

const seconds = (ms: number): number => ms / 1000;
