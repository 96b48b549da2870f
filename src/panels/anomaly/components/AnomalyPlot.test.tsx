import React from 'react';
import { render } from '@testing-library/react';
import { dateTime, FieldType, toDataFrame, type TimeRange } from '@grafana/data';
import { RECOMMENDED_THRESHOLD } from '../../../detection';
import { synthetic } from '../../../detection/testSeries';
import { analyseInBrowser } from '../model/browser';
import { readSeries } from '../model/series';
import { defaultLayers, type AnomalyLayers, type AnomalyPanelOptions } from '../types';
import { AnomalyPlot } from './AnomalyPlot';

// uPlot needs a real canvas (the browser test draws the real plot): here the props handed to TimeSeries are kept.
interface Seen {
  structureRev: number;
  to: number;
  height: number;
  legend: object;
}
const seen: Seen[] = [];
jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  TimeSeries: (p: { structureRev: number; timeRange: TimeRange; height: number; legend: object }) => {
    seen.push({ structureRev: p.structureRev, to: p.timeRange.to.valueOf(), height: p.height, legend: p.legend });
    return null;
  },
}));

const { t, v } = synthetic('flat', 600);
const timeRange: TimeRange = {
  from: dateTime(t[0]),
  to: dateTime(t[t.length - 1]),
  raw: { from: 'now-2d', to: 'now' },
};
const options = { showLegend: true } as AnomalyPanelOptions;

/** A rising disk: its forecast crosses 70 after the last sample when `withForecast`. */
function analysesOf(offset: number, withForecast: boolean) {
  const frame = toDataFrame({
    fields: [
      { name: 'Time', type: FieldType.time, values: Array.from(t) },
      { name: 'disk', type: FieldType.number, values: Array.from(v, (x, i) => offset + 0.05 * i + x) },
    ],
  });
  const [series] = readSeries([frame]).series;
  const analysis = analyseInBrowser(series, {
    detector: 'zscore',
    threshold: RECOMMENDED_THRESHOLD,
    withForecast,
    horizonMs: 24 * 3600_000,
    limit: 70,
    direction: 'above',
  });
  return [analysis];
}

function plot(analyses: ReturnType<typeof analysesOf>, layers: AnomalyLayers = defaultLayers, height = 200) {
  return (
    <AnomalyPlot
      panel={{ timeRange, timeZone: 'utc', width: 600, options }}
      analyses={analyses}
      layers={layers}
      threshold={RECOMMENDED_THRESHOLD}
      height={height}
    />
  );
}

beforeEach(() => {
  seen.length = 0;
});

describe('AnomalyPlot', () => {
  it('keeps the plot (same structure revision, same legend) when only the values change', () => {
    const { rerender } = render(plot(analysesOf(10, true)));
    rerender(plot(analysesOf(12, true), defaultLayers, 180));
    const [first, last] = [seen[0], seen[seen.length - 1]];
    expect(last.height).toBe(180);
    expect(last.structureRev).toBe(first.structureRev);
    expect(last.legend).toBe(first.legend);
  });

  it('rebuilds the plot when a layer is switched off', () => {
    const { rerender } = render(plot(analysesOf(10, true)));
    rerender(plot(analysesOf(10, true), { ...defaultLayers, band: false }));
    expect(seen[seen.length - 1].structureRev).not.toBe(seen[0].structureRev);
  });

  it('widens the time axis to the forecast’s end, and only when the forecast is shown', () => {
    const analyses = analysesOf(10, true);
    const path = analyses[0].forecast!.path.time;
    const { rerender } = render(plot(analyses));
    expect(seen[seen.length - 1].to).toBe(path[path.length - 1]);
    expect(seen[seen.length - 1].to).toBeGreaterThan(timeRange.to.valueOf());
    rerender(plot(analyses, { ...defaultLayers, forecast: false }));
    expect(seen[seen.length - 1].to).toBe(timeRange.to.valueOf());
  });
});
