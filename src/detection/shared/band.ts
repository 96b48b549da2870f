import { SCORE_DECADES, zOfLog10TwoSided } from '../calibration';
import { RECOMMENDED_THRESHOLD } from '../threshold';

/** Half-width of a detector's normal band in standard deviations: a value at its edge scores RECOMMENDED_THRESHOLD. */
export const BAND_Z = zOfLog10TwoSided(-RECOMMENDED_THRESHOLD * SCORE_DECADES);

/**
 * A band edge or expected value as reported: one past the largest double (a band around values near
 * 1e308, or wider than the doubles) is reported as the largest double of its sign, so that a band is
 * never infinite; NaN (no band) stays NaN. Finite values are returned as they are.
 */
export function bandValue(x: number): number {
  return x > Number.MAX_VALUE ? Number.MAX_VALUE : x < -Number.MAX_VALUE ? -Number.MAX_VALUE : x;
}

/**
 * What the single-model detectors share: the band they report (NaN where a detector has none) and
 * the gate every sample passes, so that a repeated or older timestamp, or a value that is not a
 * finite number, leaves the state as it was and `update()` returns the last score.
 */
export abstract class GatedDetector {
  expected = NaN;
  lower = NaN;
  upper = NaN;
  protected lastT = -Infinity;
  protected lastScore = 0;

  /** True, and the sample's time remembered, when the sample is newer than the last and finite. */
  protected admits(timestampMs: number, value: number): boolean {
    if (!Number.isFinite(value) || !(timestampMs > this.lastT)) {
      return false;
    }
    this.lastT = timestampMs;
    return true;
  }

  /** The band of a Gaussian model: mean ± BAND_Z standard deviations (saturated: bandValue). */
  protected setBand(mean: number, std: number): void {
    this.expected = bandValue(mean);
    this.lower = bandValue(mean - BAND_Z * std);
    this.upper = bandValue(mean + BAND_Z * std);
  }
}

/** A detector with no expected value or band: NaN from the prototype, not a boxed NaN in each of a fleet's detectors. */
export abstract class Bandless {
  get expected(): number {
    return NaN;
  }

  get lower(): number {
    return NaN;
  }

  get upper(): number {
    return NaN;
  }
}
