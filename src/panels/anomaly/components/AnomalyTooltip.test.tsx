import React from 'react';
import { render, screen } from '@testing-library/react';
import { createTheme, FieldType, getDisplayProcessor, toDataFrame } from '@grafana/data';
import type { SeriesAnalysis } from '../model/analysis';
import { readSeries } from '../model/series';
import { AnomalyTooltip, type AnomalyTooltipProps } from './AnomalyTooltip';

const DAY = Date.parse('2026-01-08T00:00:00Z');
const MIN = 60_000;
const times = [DAY, DAY + MIN, DAY + 2 * MIN];
const frame = toDataFrame({
  fields: [
    { name: 'Time', type: FieldType.time, values: times },
    { name: 'cpu', type: FieldType.number, values: [0.5, 0.6, NaN], config: { unit: 'percentunit' } },
    { name: 'mem', type: FieldType.number, values: [1.5, 2.25, 3] },
  ],
});
frame.fields[1].display = getDisplayProcessor({ field: frame.fields[1], theme: createTheme() });
const [cpu, mem] = readSeries([frame]).series;
const f64 = (...v: number[]) => Float64Array.from(v);

const analyses: SeriesAnalysis[] = [
  {
    series: cpu,
    source: 'browser',
    score: f64(0.1, 0.91, NaN),
    expected: f64(0.5, 0.5, 0.5),
    lower: f64(0.4, 0.4, NaN),
    upper: f64(0.55, 0.55, NaN),
    ranges: [
      { startMs: DAY + MIN, endMs: DAY + MIN, peakMs: DAY + MIN, peakScore: 0.91, side: 'above', severity: 'high' },
    ],
  },
  {
    series: mem,
    source: 'browser',
    score: f64(NaN, NaN, NaN),
    expected: f64(NaN, NaN, NaN),
    lower: f64(NaN, NaN, NaN),
    upper: f64(NaN, NaN, NaN),
    ranges: [],
    forecast: {
      path: { time: f64(DAY + 3 * MIN), value: f64(3.5), lower: f64(3), upper: f64(4) },
    },
  },
];

/** The plotted frame: the samples plus one forecast step after them. */
const alignedFrame = toDataFrame({
  fields: [{ name: 'Time', type: FieldType.time, values: [...times, DAY + 3 * MIN] }],
});

function renderTooltip(dataIdxs: Array<number | null>, props: Partial<AnomalyTooltipProps> = {}) {
  return render(
    <AnomalyTooltip
      alignedFrame={alignedFrame}
      dataIdxs={dataIdxs}
      colors={['red', 'blue']}
      analyses={analyses}
      showForecast={true}
      timeZone="utc"
      {...props}
    />
  );
}

describe('AnomalyTooltip', () => {
  it('gives each series its value, band and score at the hovered time, and says when it is in an anomaly', () => {
    renderTooltip([1, 1, 1]);
    expect(screen.getByText('Jan 8, 00:01 UTC')).toBeInTheDocument();
    expect(screen.getByText('cpu')).toBeInTheDocument();
    expect(screen.getByText('60% · band 40% – 55.0% · score 0.91 · ABOVE the band (high)')).toBeInTheDocument();
    // No display processor: four significant digits; no band or score where they are unknown.
    expect(screen.getByText('mem')).toBeInTheDocument();
    expect(screen.getByText('2.250')).toBeInTheDocument();
  });

  it('leaves out what is unknown at the hovered time', () => {
    renderTooltip([null, 2, 2]);
    expect(screen.getByText('–')).toBeInTheDocument();
    expect(screen.getByText('3.000')).toBeInTheDocument();
    expect(screen.queryByText(/band|score/)).not.toBeInTheDocument();
  });

  it('shows the forecast after the last sample, only while the forecast layer is on', () => {
    const { container, rerender } = renderTooltip([3, null, null]);
    expect(screen.getByText('forecast 3.500')).toBeInTheDocument();
    expect(screen.queryByText('cpu')).not.toBeInTheDocument();
    rerender(
      <AnomalyTooltip
        alignedFrame={alignedFrame}
        dataIdxs={[3, null, null]}
        colors={['red', 'blue']}
        analyses={analyses}
        showForecast={false}
        timeZone="utc"
      />
    );
    expect(container).toBeEmptyDOMElement();
  });

  it('renders nothing when no point is hovered', () => {
    const { container } = renderTooltip([null, null, null]);
    expect(container).toBeEmptyDOMElement();
  });

  it('renders nothing when the hovered index has no time in the plotted frame', () => {
    const { container } = renderTooltip([9, null, null]);
    expect(container).toBeEmptyDOMElement();
  });
});
