import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { createTheme, FieldType, getDisplayProcessor, toDataFrame } from '@grafana/data';
import type { SeriesAnalysis } from '../model/analysis';
import { quietAnalysis } from '../testUtils/analysis';
import { readSeries } from '../model/series';
import { panelTestIds } from '../testIds';
import { defaultLayers } from '../types';
import { LayerKey } from './LayerKey';

const frame = toDataFrame({
  fields: [
    { name: 'Time', type: FieldType.time, values: [0, 60_000] },
    { name: 'cpu', type: FieldType.number, values: [0.5, 0.6], config: { unit: 'percentunit' } },
  ],
});
frame.fields[1].display = getDisplayProcessor({ field: frame.fields[1], theme: createTheme() });
const [series] = readSeries([frame]).series;
const empty = new Float64Array(2);

const analysis = (overrides: Partial<SeriesAnalysis> = {}) => quietAnalysis(series, overrides);

const crossing = {
  source: 'browser' as const,
  limit: 0.95,
  direction: 'above' as const,
  atMs: 600_000,
  earliestMs: 500_000,
  latestMs: 700_000,
  fromMs: 60_000,
  seconds: 540,
};
const forecast = { path: { time: empty, value: empty, lower: empty, upper: empty }, crossing };
const range = {
  startMs: 0,
  endMs: 60_000,
  peakMs: 0,
  peakScore: 0.9,
  side: 'above' as const,
  severity: 'high' as const,
};

const items = () =>
  within(screen.getByTestId(panelTestIds.layerKey))
    .getAllByRole('listitem')
    .map((li) => li.textContent);

describe('LayerKey', () => {
  it('names each layer drawn, with the limit in the series unit and the threshold', () => {
    render(<LayerKey analyses={[analysis({ forecast, ranges: [range] })]} layers={defaultLayers} threshold={0.8} />);
    expect(items()).toEqual([
      'Expected band (learned normal range)',
      'Forecast and its range',
      'Limit 95% (failure when above)',
      'Predicted crossing (browser estimate)',
      'Score threshold 0.80',
      'Anomaly (▲ above / ▼ below the band)',
    ]);
  });

  it('labels the browser’s estimates beside the backend’s scores, and each browser crossing when they mix', () => {
    const only = { band: false, score: false, anomalies: false, forecast: true };
    const backendCrossing = { ...crossing, source: 'backend' as const };
    const { rerender } = render(
      <LayerKey
        analyses={[analysis({ source: 'backend', forecast: { ...forecast, crossing: backendCrossing } })]}
        layers={only}
        threshold={0.8}
      />
    );
    expect(items()).toEqual([
      'Forecast and its range (browser estimate)',
      'Limit 95% (failure when above)',
      'Predicted crossing',
    ]);
    rerender(
      <LayerKey
        analyses={[
          analysis({ source: 'backend', forecast: { ...forecast, crossing: backendCrossing } }),
          analysis({ forecast }),
        ]}
        layers={only}
        threshold={0.8}
      />
    );
    expect(items()).toContain('Predicted crossing (browser estimate where marked)');
  });

  it('leaves out layers that are off or have nothing to show, and renders nothing when none remain', () => {
    const { rerender } = render(
      <LayerKey analyses={[analysis()]} layers={{ ...defaultLayers, score: false }} threshold={0.8} />
    );
    // No forecast, no crossing, no anomaly in this data: only the band.
    expect(items()).toEqual(['Expected band (learned normal range)']);
    rerender(
      <LayerKey
        analyses={[analysis({ forecast: { ...forecast, crossing: { ...crossing, atMs: Infinity } } })]}
        layers={{ band: false, score: false, anomalies: true, forecast: true }}
        threshold={0.8}
      />
    );
    expect(items()).toEqual(['Forecast and its range', 'Limit 95% (failure when above)']);
    rerender(
      <LayerKey
        analyses={[analysis()]}
        layers={{ band: false, score: false, anomalies: true, forecast: true }}
        threshold={0.8}
      />
    );
    expect(screen.queryByTestId(panelTestIds.layerKey)).not.toBeInTheDocument();
  });
});
