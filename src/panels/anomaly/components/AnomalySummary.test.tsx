import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { FieldType, toDataFrame } from '@grafana/data';
import type { AnomalyRange, Crossing, SeriesAnalysis } from '../model/analysis';
import { setupUser } from '../../../app/testUtils/user';
import { quietAnalysis } from '../testUtils/analysis';
import { readSeries } from '../model/series';
import { panelTestIds } from '../testIds';
import { AnomalySummary, describeCrossing, type AnomalySummaryProps } from './AnomalySummary';

const DAY = Date.parse('2026-01-08T00:00:00Z');
const frame = toDataFrame({
  fields: [
    { name: 'Time', type: FieldType.time, values: [DAY, DAY + 60_000] },
    { name: 'cpu', type: FieldType.number, values: [0.5, 0.6] },
    { name: 'mem', type: FieldType.number, values: [0.7, 0.8] },
  ],
});
const [cpu, mem] = readSeries([frame]).series;
const empty = new Float64Array(2);

const analysis = quietAnalysis;
const user = setupUser();

const crossing = (atMs: number, overrides: Partial<Crossing> = {}): Crossing => ({
  source: 'backend',
  limit: 0.95,
  direction: 'above',
  atMs,
  earliestMs: atMs - 120_000,
  latestMs: atMs + 60_000,
  fromMs: DAY + 60_000,
  seconds: (atMs - DAY - 60_000) / 1000,
  ...overrides,
});
const withCrossing = (c: Crossing) => ({
  forecast: { path: { time: empty, value: empty, lower: empty, upper: empty }, crossing: c },
});

const range = (startMs: number, overrides: Partial<AnomalyRange> = {}): AnomalyRange => ({
  startMs,
  endMs: startMs + 13 * 60_000,
  peakMs: startMs,
  peakScore: 0.9,
  side: 'above',
  severity: 'high',
  ...overrides,
});

function renderSummary(analyses: SeriesAnalysis[], props: Partial<AnomalySummaryProps> = {}) {
  return render(
    <AnomalySummary
      analyses={analyses}
      timeZone="utc"
      showAnomalies={true}
      showForecast={true}
      backendRequired={false}
      {...props}
    />
  );
}

describe('AnomalySummary', () => {
  it('names the soonest time to failure across the series, with its range', () => {
    renderSummary([
      analysis(cpu, withCrossing(crossing(DAY + 60_000 + 3_600_000))),
      analysis(mem, withCrossing(crossing(DAY + 60_000 + 540_000))),
    ]);
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      'Time to failure: mem crosses 0.95 in 9 min (7 min – 10 min)'
    );
  });

  it('leaves the time to failure out when the forecast is off or nothing crosses within the horizon', () => {
    const { rerender } = renderSummary([analysis(cpu, withCrossing(crossing(DAY + 600_000)))], {
      showForecast: false,
    });
    expect(screen.queryByTestId(panelTestIds.timeToFailure)).not.toBeInTheDocument();
    rerender(
      <AnomalySummary
        analyses={[analysis(cpu, withCrossing(crossing(Infinity, { source: 'browser', seconds: Infinity })))]}
        timeZone="utc"
        showAnomalies={true}
        showForecast={true}
        backendRequired={false}
      />
    );
    expect(screen.queryByTestId(panelTestIds.timeToFailure)).not.toBeInTheDocument();
  });

  it('labels a crossing the browser estimated as such, and the backend’s forecast as the time to failure', () => {
    const at = DAY + 60_000 + 540_000;
    const { rerender } = renderSummary([analysis(cpu, withCrossing(crossing(at, { source: 'browser' })))]);
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      'Time to failure (browser estimate): cpu crosses 0.95 in 9 min (7 min – 10 min)'
    );
    rerender(
      <AnomalySummary
        analyses={[analysis(cpu, { source: 'backend', ...withCrossing(crossing(at)) })]}
        timeZone="utc"
        showAnomalies={true}
        showForecast={true}
        backendRequired={false}
      />
    );
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      /^Time to failure: cpu crosses 0.95 in 9 min \(7 min – 10 min\)$/
    );
  });

  it('says the backend forecasts none when the series it scores have no crossing, rather than inventing one', () => {
    const path = { time: empty, value: empty, lower: empty, upper: empty };
    const { rerender } = renderSummary([
      analysis(cpu, { source: 'backend', forecast: { path } }),
      analysis(mem, { source: 'browser', forecast: { path } }),
    ]);
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      'Time to failure: none forecast by the backend'
    );
    // With the forecast off, or scored in the browser only: nothing to say of the backend.
    for (const [analyses, showForecast] of [
      [[analysis(cpu, { source: 'backend', forecast: { path } })], false],
      [[analysis(cpu, { forecast: { path } })], true],
    ] as const) {
      rerender(
        <AnomalySummary
          analyses={[...analyses]}
          timeZone="utc"
          showAnomalies={true}
          showForecast={showForecast}
          backendRequired={false}
        />
      );
      expect(screen.queryByTestId(panelTestIds.timeToFailure)).not.toBeInTheDocument();
    }
  });

  it('counts the anomalies, says the latest in words and lists them all, latest first', () => {
    renderSummary([
      analysis(cpu, { ranges: [range(DAY + 2 * 3_600_000)] }),
      analysis(mem, {
        ranges: [range(DAY + 10 * 3_600_000, { side: 'below', severity: 'low', peakScore: 0.456, state: 'open' })],
      }),
    ]);
    expect(screen.getByTestId(panelTestIds.summary)).toHaveTextContent(
      '2 anomalies, latest: mem below the band, Jan 8, 10:00–10:13 UTC, peak score 0.46 (low, still open)'
    );
    const items = within(screen.getByRole('list', { name: 'Anomalies in range' }))
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(items).toEqual([
      'mem below the band, Jan 8, 10:00–10:13 UTC, peak score 0.46 (low, still open)',
      'cpu above the band, Jan 8, 02:00–02:13 UTC, peak score 0.90 (high)',
    ]);
  });

  it('says when there are no anomalies, and says nothing of them when the layer is off', () => {
    const { rerender } = renderSummary([analysis(cpu)]);
    expect(screen.getByText('No anomalies in range')).toBeInTheDocument();
    rerender(
      <AnomalySummary
        analyses={[analysis(cpu, { ranges: [range(DAY)] })]}
        timeZone="utc"
        showAnomalies={false}
        showForecast={true}
        backendRequired={false}
      />
    );
    expect(screen.queryByText(/anomal/)).not.toBeInTheDocument();
    expect(screen.queryByTestId(panelTestIds.anomalyList)).not.toBeInTheDocument();
  });

  it.each([
    ['Scored by backend', ['backend', 'backend']],
    ['Scored by backend 1/2', ['backend', 'browser']],
    ['Scored in browser', ['browser', 'none']],
    ['Series not scored', ['none', 'none']],
  ] as const)('says %j where the scores come from', (text, sources) => {
    renderSummary([analysis(cpu, { source: sources[0] }), analysis(mem, { source: sources[1] })]);
    expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent(text);
  });

  it.each([
    ['Learning shapes', ['faultsOnly', undefined], /first 62.5 h of data, and until then marks only gross faults/],
    ['Learning', ['faultsOnly', 'learning'], /too short for the detector to have learned: it marks nothing yet/],
  ] as const)('says %j while a series scored here still warms up, and why on hover', async (text, warmups, why) => {
    renderSummary([analysis(cpu, { warmup: warmups[0] }), analysis(mem, { warmup: warmups[1] })]);
    const badge = within(screen.getByTestId(panelTestIds.warmup)).getByText(text);
    await user.hover(badge);
    expect(await screen.findByText(why)).toBeInTheDocument();
  });

  it('says nothing of warming up once every series scores fully', () => {
    renderSummary([analysis(cpu), analysis(mem, { source: 'backend' })]);
    expect(screen.queryByTestId(panelTestIds.warmup)).not.toBeInTheDocument();
  });

  it('shows a backend error only when the panel needs the backend', () => {
    const { rerender } = renderSummary([analysis(cpu)], { backendError: 'HTTP 502' });
    expect(screen.queryByTestId(panelTestIds.error)).not.toBeInTheDocument();
    rerender(
      <AnomalySummary
        analyses={[analysis(cpu)]}
        timeZone="utc"
        showAnomalies={true}
        showForecast={true}
        backendRequired={true}
        backendError="HTTP 502"
      />
    );
    expect(screen.getByRole('status')).toHaveTextContent('Backend: HTTP 502');
  });
});

describe('describeCrossing', () => {
  it('says a limit already crossed is crossed now', () => {
    expect(describeCrossing('cpu', crossing(DAY + 60_000, { seconds: 0 }))).toBe('cpu is above 0.95 now');
  });

  it('gives no range when the earliest crossing is the estimate, and "later" for an open edge', () => {
    const at = DAY + 60_000 + 3_600_000;
    expect(describeCrossing('cpu', crossing(at, { earliestMs: at }))).toBe('cpu crosses 0.95 in 1 h');
    expect(describeCrossing('cpu', crossing(at, { latestMs: Infinity }))).toBe(
      'cpu crosses 0.95 in 1 h (58 min – later)'
    );
  });
});
