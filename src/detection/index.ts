/** Failure Prophet detection library: pure TypeScript, no I/O, deterministic given a seed. */

/** Streaming detector interface, its serialised state, and the options every detector takes. */
export type { StreamingDetector, DetectorState, DetectorOptions } from './detector';
/**
 * Create a detector by name (its options typed by name, or, from config and the command line,
 * checked by its schema), restore one from its state, and list the names.
 */
export {
  createDetector,
  createDetectorFromConfig,
  createProductDetector,
  restoreDetector,
  isDetectorName,
  DETECTOR_NAMES,
  PRODUCT_DETECTOR_NAMES,
  type ProductDetectorName,
} from './registry';
export { parseDetectorOptions, type DetectorName, type OptionsByName } from './options';
/** Score at or above which an anomaly should be opened (from the NAB threshold optimisation). */
export { RECOMMENDED_THRESHOLD } from './threshold';
/** The shared score scale: score = -log10(p) / SCORE_DECADES, and its conversions. */
export { SCORE_DECADES, scoreOfProbability, scoreOfLog10 } from './calibration';
/**
 * The individual detectors, for callers that need their specific options.
 *
 * FailureProphetDetector (the recommended one, v9): the larger of 2.5 x a bounded ARTime's score
 * (adaptive resonance over window shapes, on the range seen; as published it mutes its own new
 * categories for a while after an anomaly) and 1 when a gross fault is called (a value far beyond
 * the range seen, a drop to 0 where 0 is not a habit, a value stuck flat where it used to move, a
 * run of NaN): the calls are never muted by an earlier alarm, so a new fault is never hidden. Open an anomaly when
 * `update()` returns >= RECOMMENDED_THRESHOLD. Its `level` (what keeps an anomaly open and tells
 * healing whether the target recovered) is ARTime's last window's score until its next window, a
 * fault call, or failureprophet-v5's level (its band's views, flat and missing runs); its band
 * (`expected`, `lower`, `upper`) and `learning` are failureprophet-v5's.
 * FailureProphetV5Detector's `level` is its score without its per-event suppression (at most 24 h).
 * Optional `learning` (StreamingDetector): true while a detector warms up and cannot alarm
 * (failureprophet: its first 30 samples and 2.5 h of data, or its option `learningMs` of data, which
 * the pipeline sets to a shorter probation; or `trainingPoints` samples if more;
 * its ARTime scores 0 for its first `trainingPoints` samples, or without them for 62.5 h of data);
 * the panel can hide the warm-up. failureprophet-v5's learning rates are per unit of time (stated per
 * 5 minutes), so it behaves alike at 15 s and 5 min scrapes; an hour-of-day bucket with less than
 * an hour of data does not alarm (the all-day baseline stands in, band included).
 */
export { FailureProphetDetector, type FailureProphetOptions } from './failureprophet';
/** How much of a series' data ARTime learns its shapes from without `trainingPoints` (failureprophet calls only gross faults until then). */
export { ARTIME_PROBATION_MS } from './artime';
export { FailureProphetV5Detector, type FailureProphetV5Options } from './failureprophetV5';
export { EwmaDetector, type EwmaOptions } from './ewma';
export { ZScoreDetector, type ZScoreOptions } from './zscore';
export { IsolationForestDetector } from './iforestDetector';
/** Multivariate Isolation Forest over flat row-major Float64Array matrices, with versioned JSON. */
export { IsolationForest, type IsolationForestOptions, averagePathLength } from './iforest';
export type { IsolationForestDocument } from './iforestDocument';
/** Online temporal features (hour sin/cos, weekday, rolling mean/std, diff, rate) and PromQL's rate. */
export {
  TemporalFeatures,
  featureNames,
  hourOfDay,
  dayOfWeek,
  promRate,
  type TemporalFeatureOptions,
  type TemporalFeatureState,
} from './features';
/** Seedable PRNG used by every randomised algorithm here. */
export { Random } from './random';
/**
 * Time to failure: CrossingForecaster (what the pipeline uses: a crossing only when the trend is
 * significant against noise and the daily rhythm, within the horizon its history supports), plain
 * damped Holt-Winters (streaming and batch, for the panel's path) and predict_linear for comparison.
 */
export {
  CrossingForecaster,
  StreamingForecaster,
  forecastTimeToLimit,
  predictLinear,
  linearTimeToLimit,
  normalQuantile,
  LIMIT_DIRECTIONS,
  type CrossingEstimate,
  type CrossingForecasterState,
  type CrossingOptions,
  type NoCrossingReason,
  type LimitDirection,
  type HoltWintersOptions,
  type ForecasterState,
} from './forecast';
/** Severity and failure model of an anomaly. */
export {
  assess,
  AT_LIMIT_SECONDS,
  NEAR_CERTAIN_SCORE,
  NEAR_LIMIT_SECONDS,
  RAN_OUT_REASON,
  VERY_UNLIKELY_SCORE,
  type Assessment,
  type AssessmentInput,
  type SignalObservation,
  type SignalKind,
  type Severity,
  type FailureModel,
} from './severity';
/** The peer-group (replica outlier) detector. */
export { PeerGroupDetector } from './peerGroup';
