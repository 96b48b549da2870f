import type { SeriesAnalysis } from '../model/analysis';

/** For tests: an analysis of `series` over two steps with nothing found, and `overrides` on top. */
export function quietAnalysis(
  series: SeriesAnalysis['series'],
  overrides: Partial<SeriesAnalysis> = {}
): SeriesAnalysis {
  const empty = new Float64Array(2);
  return {
    series,
    source: 'browser',
    score: empty,
    expected: empty,
    lower: empty,
    upper: empty,
    ranges: [],
    ...overrides,
  };
}
