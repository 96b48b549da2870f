import { useMemo } from 'react';
import type { SeriesAnalysis } from './model/analysis';
import { analyseInBrowser, type BrowserAnalysisOptions } from './model/browser';
import type { PanelSeries } from './model/series';

/**
 * Browser analysis of every series, memoised on the data and the options that change the result,
 * so re-renders (hover, resize, theme) never re-run the detectors.
 */
export function useBrowserAnalyses(series: PanelSeries[], options: BrowserAnalysisOptions): SeriesAnalysis[] {
  const { detector, threshold, withForecast, horizonMs, limit, direction } = options;
  return useMemo(
    () => series.map((s) => analyseInBrowser(s, { detector, threshold, withForecast, horizonMs, limit, direction })),
    [series, detector, threshold, withForecast, horizonMs, limit, direction]
  );
}
