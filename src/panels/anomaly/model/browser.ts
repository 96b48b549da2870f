import { RECOMMENDED_THRESHOLD } from '../../../detection';
import type { SeriesAnalysis } from './analysis';
import { detectSeries, type DetectionRun } from './detection';
import { forecastSeries, type ForecastOptions } from './forecast';
import { findRanges } from './ranges';
import type { PanelSeries } from './series';

export interface BrowserAnalysisOptions extends ForecastOptions {
  detector: string;
  threshold: number;
  withForecast: boolean;
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

/**
 * Ranges and forecast of a series scored by the detector: in one pass over the whole series, as the
 * backend would have, unless `run` (see `detectSeries`) already scored it.
 */
export function analyseInBrowser(
  series: PanelSeries,
  options: BrowserAnalysisOptions,
  run: DetectionRun = detectSeries(series, options.detector)
): SeriesAnalysis {
  const { time, values } = series;
  const { score, expected, lower, upper } = run;
  const ranges = findRanges({ time, values, score, expected, lower, upper }, options.threshold);
  const forecast = options.withForecast ? forecastSeries({ time, values, ...options }) : undefined;
  return { series, source: 'browser', score, expected, lower, upper, ranges, forecast, warmup: run.warmup };
}
