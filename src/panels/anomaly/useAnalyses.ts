import { useMemo, useState } from 'react';
import type { SeriesAnalysis } from './model/analysis';
import { analyseInBrowser, type BrowserAnalysisOptions } from './model/browser';
import { backendAnalysis } from './model/backend';
import { DetectionRuns } from './model/detection';
import type { PanelSeries } from './model/series';
import { timed } from './perf';
import type { ScoreSource } from './types';
import type { BackendState } from './useBackendSeries';

/**
 * Browser analysis of every series, memoised on the data and the options that change the result,
 * so re-renders (hover, resize, theme) never re-run the detectors; new data is scored only where it
 * differs from the last data seen (see `detectSeries`), so a refresh that moves the window scores
 * the new samples only, and identical data none.
 */
export function useBrowserAnalyses(series: PanelSeries[], options: BrowserAnalysisOptions): SeriesAnalysis[] {
  const { detector, threshold, withForecast, horizonMs, limit, direction } = options;
  const [runs] = useState(() => new DetectionRuns());
  return useMemo(
    () =>
      timed(
        'detect',
        () => {
          const scored = runs.update(series, detector);
          return series.map((s, i) =>
            analyseInBrowser(s, { detector, threshold, withForecast, horizonMs, limit, direction }, scored[i])
          );
        },
        () => ({ samplesScored: runs.lastScored })
      ),
    [runs, series, detector, threshold, withForecast, horizonMs, limit, direction]
  );
}

/**
 * The backend's analysis for the series it watches; the others keep the browser's (auto) or show
 * the bare series (backend only).
 */
export function useMergedAnalyses(
  browser: SeriesAnalysis[],
  backend: BackendState,
  source: ScoreSource
): SeriesAnalysis[] {
  return useMemo(
    () =>
      browser.map((a, i) => {
        const known = backend.bySeries.get(i);
        if (known) {
          return backendAnalysis(a.series, known, a.forecast);
        }
        if (source === 'backend') {
          const none = new Float64Array(a.series.time.length).fill(NaN);
          return {
            series: a.series,
            source: 'none' as const,
            score: none,
            expected: none,
            lower: none,
            upper: none,
            ranges: [],
          };
        }
        return a;
      }),
    [browser, backend, source]
  );
}
