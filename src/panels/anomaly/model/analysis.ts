import type { NoForecast } from '../../../contract/pipeline';
import type { LimitDirection, FailureModel, Severity } from '../../../detection';
import type { PanelSeries } from './series';

/** Which side of the expected band the series left. */
export type Side = 'above' | 'below';

/** A marked anomaly: a time range, not a point, so one event is one region on the graph. */
export interface AnomalyRange {
  startMs: number;
  endMs: number;
  /** Time of the highest score inside the range. */
  peakMs: number;
  peakScore: number;
  side: Side;
  severity: Severity;
  failureModel?: FailureModel;
  /** Backend anomalies carry their state (open, resolved, ...); browser ones have none. */
  state?: string;
}

/** The forecast drawn after the last sample, with its 90% range. */
export interface ForecastPath {
  time: Float64Array;
  value: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
}

/** Who scored a series or estimated a crossing: the detection library in this browser, or the backend. */
export type Scorer = 'browser' | 'backend';

/** When the forecast crosses the limit, as absolute times (Infinity: not within the horizon). */
export interface Crossing {
  /** The backend's forecast of its watch's limit, or the browser's estimate against the panel's limit. */
  source: Scorer;
  limit: number;
  direction: LimitDirection;
  /** Best estimate. */
  atMs: number;
  /** Earliest plausible crossing (pessimistic edge of the 90% range). */
  earliestMs: number;
  /** Latest plausible crossing (Infinity when the optimistic edge never crosses). */
  latestMs: number;
  /** The last sample, which the forecast counts from. */
  fromMs: number;
  /** Seconds from the last sample to the best estimate (0: the limit was crossed then; Infinity: not within the horizon). */
  seconds: number;
  /** The backend's: its watch's step, which it forecasts again at (absent: the browser's, or an older backend). */
  stepMs?: number;
}

export interface Forecast {
  path: ForecastPath;
  crossing?: Crossing;
}

/** Everything the panel draws for one series; arrays are aligned with `series.time` (NaN: unknown). */
export interface SeriesAnalysis {
  series: PanelSeries;
  /** Who scored it; `none` when the backend was required but does not watch this series. */
  source: Scorer | 'none';
  score: Float64Array;
  expected: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  ranges: AnomalyRange[];
  forecast?: Forecast;
  /** Scored in the browser by a detector still warming up at the last sample. */
  warmup?: Warmup;
  /**
   * Scored by the backend, which forecasts no crossing for its target: why, as the target says it
   * (the reason of its limited signal nearest a forecast; absent from backends before it).
   */
  noForecast?: NoForecast;
}

/**
 * What a detector could not yet do at the last sample: `learning`, alarm on anything;
 * `faultsOnly`, alarm on more than gross faults (it still learns the series' shapes).
 */
export type Warmup = 'learning' | 'faultsOnly';
