import { AT_LIMIT_SECONDS, NEAR_CERTAIN_SCORE, NEAR_LIMIT_SECONDS, VERY_UNLIKELY_SCORE } from '../../detection';

/**
 * A limit crossing whose earliest plausible time (the interval's lower bound) is this close opens an
 * anomaly even before any value is unusual: from when its severity is high.
 */
export const TTF_ALARM_SECONDS = NEAR_LIMIT_SECONDS;

/**
 * The score of a step whose limit crossing is near, so that an anomaly a forecast raises with no value
 * unusual scores, sorts and is drawn as grave as it is: on the detectors' scale (calibration.ts), the
 * score a detector's alarm needs for the severity that time left gets (severity.ts). VERY_UNLIKELY_SCORE
 * (high) at TTF_ALARM_SECONDS, NEAR_CERTAIN_SCORE (critical) at AT_LIMIT_SECONDS, 1 when due, linear in
 * the time left in between; 0 beyond TTF_ALARM_SECONDS, where the forecast raises nothing. The time left
 * is the forecast's earliest plausible crossing, the edge of its 90% interval that severity reads too:
 * how soon, as sure as the forecast is (a less certain forecast's edge comes sooner). Detectors' scores
 * are left as they are: a step scores the higher of theirs and this.
 */
export function forecastScore(secondsLeft: number): number {
  if (secondsLeft > TTF_ALARM_SECONDS) {
    return 0;
  }
  if (secondsLeft > AT_LIMIT_SECONDS) {
    const nearer = (TTF_ALARM_SECONDS - secondsLeft) / (TTF_ALARM_SECONDS - AT_LIMIT_SECONDS);
    return VERY_UNLIKELY_SCORE + (NEAR_CERTAIN_SCORE - VERY_UNLIKELY_SCORE) * nearer;
  }
  return NEAR_CERTAIN_SCORE + (1 - NEAR_CERTAIN_SCORE) * (1 - Math.max(0, secondsLeft) / AT_LIMIT_SECONDS);
}
