/**
 * Time to failure: when will a series cross a limit? The modules under forecast/: `crossing`
 * (CrossingForecaster, what the pipeline uses), `holtWinters` (a plain damped Holt-Winters, the
 * panel's path), `linear` (Prometheus' predict_linear, for comparison), `trend` (the line fits and
 * resets they share) and `types`.
 */
export { LIMIT_DIRECTIONS, type LimitDirection, type CrossingEstimate } from './forecast/types';
export {
  StreamingForecaster,
  forecastTimeToLimit,
  type ForecasterState,
  type HoltWintersOptions,
} from './forecast/holtWinters';
export { predictLinear, linearTimeToLimit } from './forecast/linear';
export { normalQuantile } from './forecast/trend';
export {
  CrossingForecaster,
  type CrossingForecasterState,
  type CrossingOptions,
  type NoCrossingReason,
} from './forecast/crossing';
