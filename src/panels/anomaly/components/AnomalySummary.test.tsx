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

/** The summary at the dashboard's now `nowMs` (by default when the crossings above were made). */
function summary(analyses: SeriesAnalysis[], props: Partial<AnomalySummaryProps> = {}) {
  return (
    <AnomalySummary
      analyses={analyses}
      nowMs={DAY + 60_000}
      timeZone="utc"
      showAnomalies={true}
      showForecast={true}
      backendRequired={false}
      {...props}
    />
  );
}

const renderSummary = (analyses: SeriesAnalysis[], props: Partial<AnomalySummaryProps> = {}) =>
  render(summary(analyses, props));

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
    rerender(summary([analysis(cpu, withCrossing(crossing(Infinity, { source: 'browser', seconds: Infinity })))]));
    expect(screen.queryByTestId(panelTestIds.timeToFailure)).not.toBeInTheDocument();
  });

  it('labels a crossing the browser estimated as such, and the backend’s forecast as the time to failure', () => {
    const at = DAY + 60_000 + 540_000;
    const { rerender } = renderSummary([analysis(cpu, withCrossing(crossing(at, { source: 'browser' })))]);
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      'Time to failure (browser estimate): cpu crosses 0.95 in 9 min (7 min – 10 min)'
    );
    rerender(summary([analysis(cpu, { source: 'backend', ...withCrossing(crossing(at)) })]));
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
      rerender(summary([...analyses], { showForecast }));
      expect(screen.queryByTestId(panelTestIds.timeToFailure)).not.toBeInTheDocument();
    }
  });

  it('counts the soonest time to failure down from the dashboard’s now, and says as of when it is out of date', () => {
    const made = DAY + 60_000;
    const soon = crossing(made + 540_000, { stepMs: 60_000 });
    const { rerender } = renderSummary([analysis(cpu, { source: 'backend', ...withCrossing(soon) })], {
      nowMs: made + 120_000,
    });
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      /^Time to failure: cpu crosses 0.95 in 7 min \(5 min – 8 min\)$/
    );
    rerender(summary([analysis(cpu, { source: 'backend', ...withCrossing(soon) })], { nowMs: made + 420_000 }));
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      /^Time to failure: cpu crosses 0.95 in 2 min \(now – 3 min\), as of Jan 8, 00:01 UTC$/
    );
  });

  it('says why the backend forecasts none: the reason nearest a forecast of the series it scores', () => {
    const path = { time: empty, value: empty, lower: empty, upper: empty };
    const { rerender } = renderSummary([
      analysis(cpu, { source: 'backend', forecast: { path }, noForecast: 'no significant trend' }),
    ]);
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      /^Time to failure: none forecast by the backend: no significant trend$/
    );
    rerender(
      summary([
        analysis(cpu, { source: 'backend', forecast: { path }, noForecast: 'learning' }),
        analysis(mem, { source: 'backend', forecast: { path }, noForecast: 'too little history' }),
      ])
    );
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      /^Time to failure: none forecast by the backend: too little history$/
    );
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
    rerender(summary([analysis(cpu, { ranges: [range(DAY)] })], { showAnomalies: false }));
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
    rerender(summary([analysis(cpu)], { backendRequired: true, backendError: 'HTTP 502' }));
    expect(screen.getByRole('status')).toHaveTextContent('Backend: HTTP 502');
  });
});

describe('describeCrossing', () => {
  const made = DAY + 60_000;
  const at = made + 3_600_000;
  const MIN = 60_000;

  it('gives no range when the earliest crossing is the estimate, and "later" for an open edge', () => {
    expect(describeCrossing('cpu', crossing(at, { earliestMs: at }), made, 'utc')).toBe('cpu crosses 0.95 in 1 h');
    expect(describeCrossing('cpu', crossing(at, { latestMs: Infinity }), made, 'utc')).toBe(
      'cpu crosses 0.95 in 1 h (58 min – later)'
    );
  });

  it('counts down from the dashboard’s now, the range’s edges too', () => {
    expect(describeCrossing('cpu', crossing(at), made + 20 * MIN, 'utc')).toBe(
      'cpu crosses 0.95 in 40 min (38 min – 41 min)'
    );
  });

  it('says a crossing whose time has come is due, and an edge passed as now', () => {
    expect(describeCrossing('cpu', crossing(at), at + 30_000, 'utc')).toBe('cpu is due to cross 0.95 (now – 30 s)');
  });

  it('says a limit crossed when the forecast was made is already crossed, whenever it is read', () => {
    const crossed = crossing(made, { seconds: 0, earliestMs: made, latestMs: made });
    expect(describeCrossing('cpu', crossed, made, 'utc')).toBe('cpu already above limit 0.95');
    expect(describeCrossing('cpu', { ...crossed, direction: 'below', limit: 0.1 }, made + 2 * MIN, 'utc')).toBe(
      'cpu already below limit 0.1'
    );
  });

  it('says as of when, in the dashboard’s zone, a backend forecast not renewed for more than 5 steps was made', () => {
    const stepped = crossing(at, { stepMs: MIN });
    // 5 steps old: still the backend's latest of a scrape or two missed.
    expect(describeCrossing('cpu', stepped, made + 5 * MIN, 'Europe/Berlin')).toBe(
      'cpu crosses 0.95 in 55 min (53 min – 56 min)'
    );
    expect(describeCrossing('cpu', stepped, made + 6 * MIN, 'Europe/Berlin')).toBe(
      'cpu crosses 0.95 in 54 min (52 min – 55 min), as of Jan 8, 01:01 CET'
    );
    expect(
      describeCrossing('cpu', { ...stepped, seconds: 0, atMs: made, earliestMs: made }, made + 6 * MIN, 'utc')
    ).toBe('cpu already above limit 0.95, as of Jan 8, 00:01 UTC');
    // The browser's estimate is made from the panel's own data: never out of date with it.
    expect(describeCrossing('cpu', crossing(at, { source: 'browser' }), made + 6 * MIN, 'utc')).toBe(
      'cpu crosses 0.95 in 54 min (52 min – 55 min)'
    );
  });

  it('counts a forecast made after a range in the past from its making, and says when that was', () => {
    const stepped = crossing(at, { stepMs: MIN });
    expect(describeCrossing('cpu', stepped, made - 24 * 3_600_000, 'utc')).toBe(
      'cpu crosses 0.95 in 1 h (58 min – 1 h 1 min), as of Jan 8, 00:01 UTC'
    );
    // A clock a little behind the backend's is not a range in the past.
    expect(describeCrossing('cpu', stepped, made - 30_000, 'utc')).toBe('cpu crosses 0.95 in 1 h (58 min – 1 h 1 min)');
  });
});
