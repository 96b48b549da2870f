import { SCORE_DECADES, zOfLog10TwoSided } from '../calibration';
import { RECOMMENDED_THRESHOLD } from '../threshold';

/** Half-width of a detector's normal band in standard deviations: a value at its edge scores RECOMMENDED_THRESHOLD. */
export const BAND_Z = zOfLog10TwoSided(-RECOMMENDED_THRESHOLD * SCORE_DECADES);
