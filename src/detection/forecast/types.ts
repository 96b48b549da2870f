/** The words every forecaster here shares: which side of its limit a signal fails on, and a crossing estimate. */

/** The side of its limit a signal fails on: rising to it (`above`) or falling to it (`below`). */
export const LIMIT_DIRECTIONS = ['above', 'below'] as const;
export type LimitDirection = (typeof LIMIT_DIRECTIONS)[number];

/** When the limit is expected to be crossed; seconds from the last sample, Infinity if not within the horizon. */
export interface CrossingEstimate {
  /** Best estimate (the backend exports it as failureprophet_time_to_failure_seconds). */
  seconds: number;
  /** Earliest plausible crossing (the pessimistic edge of the 90% band). */
  lowerSeconds: number;
  /** Latest plausible crossing (the optimistic edge; Infinity if the band never crosses). */
  upperSeconds: number;
  method: 'holt-winters' | 'predict_linear' | 'trend';
  /** Timestamp (ms) the estimate is counted from. */
  fromMs: number;
}
