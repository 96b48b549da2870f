/**
 * Score at or above which the pipeline should open an anomaly. It is the threshold the NAB
 * optimisation picks for `failureprophet` on the standard profile (see benchmarks/RESULTS.md),
 * i.e. a tail probability of 10^(-SCORE_DECADES * threshold).
 */
export const RECOMMENDED_THRESHOLD = 0.24;
