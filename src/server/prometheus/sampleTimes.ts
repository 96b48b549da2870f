import { PrometheusError, type RangeSeries } from './types';

/**
 * Why a range answer cannot be lined up with the steps asked: a series whose times do not
 * increase. Prometheus writes each series' samples at increasing times (promql's range
 * evaluation); from a proxy that reordered or repeated them the watch, which walks samples and
 * steps together, took the first of a repeated step and lost every step that came out of order,
 * without a word. Undefined when every series' times increase.
 */
export function timesOutOfOrder(series: RangeSeries[]): PrometheusError | undefined {
  for (const [index, { timestamps }] of series.entries()) {
    for (let i = 1; i < timestamps.length; i++) {
      if (!(timestamps[i] > timestamps[i - 1])) {
        return new PrometheusError(
          'malformed',
          `Prometheus answered query_range with a time out of order at result.${index}.values.${i}.0: ${timestamps[i] / 1000} after ${timestamps[i - 1] / 1000}, not a time after the one before`
        );
      }
    }
  }
  return undefined;
}
