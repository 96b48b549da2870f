import { createDetector, RECOMMENDED_THRESHOLD, type Direction } from '../../../detection';
import type { SeriesAnalysis } from './analysis';
import { forecastSeries } from './forecast';
import { findRanges } from './ranges';
import type { PanelSeries } from './series';

export interface BrowserAnalysisOptions {
  detector: string;
  threshold: number;
  withForecast: boolean;
  horizonMs: number;
  limit?: number;
  direction: Direction;
}

/**
 * Score threshold for a sensitivity in [0, 100]: 50 is the library's recommended threshold, and
 * every 50 points halve (more sensitive) or double (less) it. The score is a log-probability, so
 * this moves the threshold by a constant factor of rarity per step.
 */
export function thresholdOfSensitivity(sensitivity: number): number {
  const s = Math.min(100, Math.max(0, Number.isFinite(sensitivity) ? sensitivity : 50));
  return Math.min(1, RECOMMENDED_THRESHOLD * Math.pow(2, (50 - s) / 50));
}

/** Runs the streaming detector over the whole series in one pass, as the backend would have. */
export function analyseInBrowser(series: PanelSeries, options: BrowserAnalysisOptions): SeriesAnalysis {
  const { time, values } = series;
  const n = values.length;
  const score = new Float64Array(n);
  const expected = new Float64Array(n);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const detector = createDetector(options.detector);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const s = detector.update(time[i], v);
    if (Number.isFinite(v)) {
      score[i] = s;
      expected[i] = detector.expected;
      lower[i] = detector.lower;
      upper[i] = detector.upper;
    } else {
      // No band or score where there is no sample, so the plot shows the gap.
      score[i] = expected[i] = lower[i] = upper[i] = NaN;
    }
  }
  const ranges = findRanges({ time, values, score, expected, lower, upper }, options.threshold);
  const forecast = options.withForecast
    ? forecastSeries({ time, values, horizonMs: options.horizonMs, limit: options.limit, direction: options.direction })
    : undefined;
  return { series, source: 'browser', score, expected, lower, upper, ranges, forecast };
}
