import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import {
  dateTime,
  FieldType,
  LoadingState,
  PanelOptionsEditorBuilder,
  standardEditorsRegistry,
  toDataFrame,
  type DataFrame,
  type PanelProps,
} from '@grafana/data';
import { MAX_PAGE_LIMIT } from '../../contract/pipeline';
import { synthetic } from '../../detection/testSeries';
import { AnomalyPanel } from './AnomalyPanel';
import { plugin } from './module';
import { morningRise } from './model/testFixtures';
import { panelTestIds } from './testIds';
import type { AnomalyPanelOptions } from './types';

// uPlot needs a real canvas; the browser test draws the real plot. Here the frames handed to it are checked.
jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  TimeSeries: ({ frames, timeRange }: { frames: DataFrame[]; timeRange: { to: { valueOf(): number } } }) => (
    <div data-testid="plot" data-to={timeRange.to.valueOf()}>
      {frames.map((f) => f.fields.map((x) => x.config.displayName ?? x.name).join('|')).join('\n')}
    </div>
  ),
}));

// Grafana fills the option editor registry at start-up; the option builder only needs the ids here.
standardEditorsRegistry.setInit(() =>
  ['slider', 'select', 'radio', 'boolean', 'number', 'text'].map((id) => ({ id, name: id, editor: () => null }))
);
jest.mock('../../app/api/backend', () => ({ backendRequest: jest.fn() }));
const backendRequest = jest.requireMock('../../app/api/backend').backendRequest as jest.Mock;

const defaults = plugin.defaults as AnomalyPanelOptions;

function props(series: DataFrame[], options: Partial<AnomalyPanelOptions> = {}): PanelProps<AnomalyPanelOptions> {
  const { t } = synthetic('flat', 2);
  const timeRange = { from: dateTime(t[0]), to: dateTime(t[0] + 2000 * 300_000), raw: { from: 'now-7d', to: 'now' } };
  return {
    id: 1,
    data: { series, state: LoadingState.Done, timeRange },
    timeRange,
    timeZone: 'utc',
    options: { ...defaults, ...options },
    fieldConfig: { defaults: {}, overrides: [] },
    width: 800,
    height: 300,
    transparent: false,
    renderCounter: 0,
    title: 'Anomalies',
    eventBus: {
      publish: jest.fn(),
      getStream: jest.fn(),
      subscribe: jest.fn(),
      removeAllListeners: jest.fn(),
      newScopedBus: jest.fn(),
    },
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    replaceVariables: (s: string) => s,
    onChangeTimeRange: jest.fn(),
  } as unknown as PanelProps<AnomalyPanelOptions>;
}

function frameOf(
  kind: Parameters<typeof synthetic>[0],
  name: string,
  change?: (v: Float64Array) => Float64Array,
  labels?: Record<string, string>
): DataFrame {
  const { t, v } = synthetic(kind, 2000, 1500);
  return toDataFrame({
    fields: [
      { name: 'Time', type: FieldType.time, values: Array.from(t) },
      { name, type: FieldType.number, values: Array.from(change ? change(v) : v), labels },
    ],
  });
}

/**
 * A panel over a daily rhythm's morning rise that peaks under its 0.85 limit (see `morningRise`), on
 * a dashboard of `rangeHours` that ends at its last sample.
 */
function morningRisePanel(
  rangeHours: number,
  options: Partial<AnomalyPanelOptions>,
  labels?: Record<string, string>
): PanelProps<AnomalyPanelOptions> {
  const { t, v } = morningRise();
  const frame = toDataFrame({
    fields: [
      { name: 'Time', type: FieldType.time, values: Array.from(t) },
      { name: 'cpu', type: FieldType.number, values: Array.from(v), labels },
    ],
  });
  const p = props([frame], { forecastLimit: 0.85, forecastDirection: 'above', ...options });
  const to = t[t.length - 1];
  const timeRange = {
    from: dateTime(to - rangeHours * 3_600_000),
    to: dateTime(to),
    raw: { from: `now-${rangeHours}h`, to: 'now' },
  };
  return { ...p, timeRange, data: { ...p.data, timeRange } };
}

describe('AnomalyPanel', () => {
  it('draws each series with its layers and says which anomalies it found, above or below the band', () => {
    render(
      <AnomalyPanel
        {...props([
          frameOf('spike', 'cpu'),
          frameOf('step', 'memory', (v) => v.map((x, i) => (i >= 1500 ? x - 30 : x))),
        ])}
      />
    );
    expect(screen.getByTestId(panelTestIds.container)).toBeInTheDocument();
    const plot = screen.getByTestId('plot');
    expect(plot).toHaveTextContent(
      'Time|cpu|cpu · upper|cpu · lower|memory|memory · upper|memory · lower|Anomaly score (max)'
    );
    expect(plot).toHaveTextContent('cpu · forecast');
    const list = screen.getByRole('list', { name: 'Anomalies in range' });
    expect(list).toHaveTextContent(/cpu above the band, Jan 6, 05:00/);
    expect(list).toHaveTextContent(/memory below the band, Jan 6, 05:00/);
    expect(screen.getByTestId(panelTestIds.summary)).toHaveTextContent(/anomalies, latest:/);
    expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('in browser');
  });

  it('reports the time to failure when a limit is set, and widens the time axis to show the forecast', () => {
    const { t } = synthetic('flat', 2000);
    const rising = toDataFrame({
      fields: [
        { name: 'Time', type: FieldType.time, values: Array.from(t) },
        { name: 'disk', type: FieldType.number, values: Array.from(t, (_, i) => 20 + 0.02 * i + 0.2 * Math.sin(i)) },
      ],
    });
    // 60 at the last sample, rising 0.24 an hour: 65 is within the 41.7 h the panel forecasts.
    const p = props([rising], { forecastLimit: 65, forecastDirection: 'above' });
    render(<AnomalyPanel {...p} />);
    expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
      /^Time to failure \(browser estimate\): disk crosses 65 in \d+ h/
    );
    expect(Number(screen.getByTestId('plot').dataset.to)).toBeGreaterThan(p.timeRange.to.valueOf());
  });

  it('looks for a crossing only as far ahead as it forecasts, a quarter of the time range', () => {
    // A 6 h dashboard forecasts 1.5 h ahead: the rise is not carried across the limit it never reaches.
    render(<AnomalyPanel {...morningRisePanel(6, { source: 'browser' })} />);
    expect(screen.getByTestId('plot')).toHaveTextContent('cpu · forecast');
    expect(screen.queryByTestId(panelTestIds.timeToFailure)).not.toBeInTheDocument();
  });

  it('shows only what the layer options ask for', () => {
    render(
      <AnomalyPanel
        {...props([frameOf('spike', 'cpu')], {
          layers: { band: false, score: false, anomalies: false, forecast: false },
        })}
      />
    );
    expect(screen.getByTestId('plot').textContent).toBe('Time|cpu');
    expect(screen.queryByRole('list', { name: 'Anomalies in range' })).not.toBeInTheDocument();
    expect(screen.queryByTestId(panelTestIds.timeToFailure)).not.toBeInTheDocument();
  });

  it('says there is no data', () => {
    render(<AnomalyPanel {...props([])} />);
    expect(screen.getByTestId(panelTestIds.noData)).toBeInTheDocument();
    expect(screen.queryByTestId('plot')).not.toBeInTheDocument();
  });

  it('asks for a range query when the result has no time field', () => {
    render(
      <AnomalyPanel {...props([toDataFrame({ fields: [{ name: 'value', type: FieldType.number, values: [1] }] })])} />
    );
    expect(screen.getByTestId(panelTestIds.noData)).toHaveTextContent('no time field');
  });
});

describe('AnomalyPanel with the backend', () => {
  const { t } = synthetic('flat', 2000);
  const target = { id: 'node{instance="a"}', watch: 'node', labels: { instance: 'a' }, timeToFailure: null };
  const anomaly = {
    id: 7,
    target: target.id,
    start: t[1200],
    end: t[1210],
    peakScore: 0.9,
    severity: 'high',
    failureModel: 'resource_exhaustion',
    state: 'open',
    signals: ['cpu'],
    direction: 'below',
  };
  const points = Array.from({ length: 100 }, (_, i) => ({
    t: t[1900 + i],
    value: 50,
    expected: 50,
    lower: 45,
    upper: 55,
    score: 0.01,
  }));

  function answer(path: string) {
    if (path === 'api/targets') {
      return Promise.resolve({ targets: [target] });
    }
    if (path.startsWith('api/targets/')) {
      return Promise.resolve({ target, series: { cpu: points }, anomalies: [], predictions: [], model: null });
    }
    return Promise.resolve({ anomalies: [anomaly] });
  }

  beforeEach(() => backendRequest.mockReset());

  it('shows the backend’s anomalies and band for the series it watches, through the plugin proxy', async () => {
    backendRequest.mockImplementation(answer);
    render(
      <AnomalyPanel
        {...props(
          [
            frameOf('noise', 'cpu', undefined, { instance: 'a' }),
            frameOf('noise', 'other', undefined, { instance: 'b' }),
          ],
          { backendSignal: 'node/cpu' }
        )}
      />
    );
    await waitFor(() => expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('backend 1/2'));
    expect(screen.getByRole('list', { name: 'Anomalies in range' })).toHaveTextContent(
      'cpu a below the band, Jan 5, 04:00–04:50 UTC, peak score 0.90 (high, still open)'
    );
    expect(backendRequest).toHaveBeenCalledWith('api/targets', expect.anything(), {
      params: { watch: 'node', limit: MAX_PAGE_LIMIT },
    });
    expect(backendRequest).toHaveBeenCalledWith('api/anomalies', expect.anything(), {
      params: expect.objectContaining({ target: target.id }),
    });
  });

  it('falls back to the browser when the backend cannot be asked, and says why when the backend is required', async () => {
    backendRequest.mockRejectedValue(new Error('the backend is unreachable'));
    const { unmount } = render(
      <AnomalyPanel
        {...props([frameOf('spike', 'cpu', undefined, { instance: 'a' })], { backendSignal: 'node/cpu' })}
      />
    );
    await waitFor(() => expect(backendRequest).toHaveBeenCalled());
    expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('in browser');
    expect(screen.queryByTestId(panelTestIds.error)).not.toBeInTheDocument();
    unmount();

    render(
      <AnomalyPanel
        {...props([frameOf('spike', 'cpu', undefined, { instance: 'a' })], {
          backendSignal: 'node/cpu',
          source: 'backend',
        })}
      />
    );
    await waitFor(() =>
      expect(screen.getByTestId(panelTestIds.error)).toHaveTextContent('Backend: the backend is unreachable')
    );
    expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('not scored');
  });

  describe('on a watch whose targets take several pages', () => {
    const targetB = { ...target, id: 'node{instance="b"}', labels: { instance: 'b' } };
    const anomalyB = { ...anomaly, id: 8, target: targetB.id, start: t[1500], end: t[1510] };
    const calls = (path: string) => backendRequest.mock.calls.filter(([p]) => p === path);
    const twoSeries = [
      frameOf('noise', 'cpu', undefined, { instance: 'a' }),
      frameOf('noise', 'cpu', undefined, { instance: 'b' }),
    ];

    /** Targets a then b, one a page (the second only with the first's cursor); each target's anomalies one a page too. */
    function paged(path: string, _schema: unknown, req?: { params: Record<string, unknown> }) {
      const { cursor, target: of } = req?.params ?? {};
      if (path === 'api/targets') {
        return Promise.resolve(
          cursor === 'p2' ? { targets: [targetB], next: null } : { targets: [target], next: 'p2' }
        );
      }
      if (path.startsWith('api/targets/')) {
        const t = path.endsWith(encodeURIComponent(targetB.id)) ? targetB : target;
        return Promise.resolve({ target: t, series: { cpu: points }, anomalies: [], predictions: [], model: null });
      }
      if (of === targetB.id) {
        return Promise.resolve(
          cursor === 'a2' ? { anomalies: [anomalyB], next: null } : { anomalies: [{ ...anomalyB, id: 9 }], next: 'a2' }
        );
      }
      return Promise.resolve({ anomalies: [anomaly], next: null });
    }

    it('matches a series whose target is on a later page, and reads every page of its anomalies', async () => {
      backendRequest.mockImplementation(paged);
      const panel = props(twoSeries, { backendSignal: 'node/cpu', source: 'backend' });
      const { rerender } = render(<AnomalyPanel {...panel} />);
      await waitFor(() => expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('Scored by backend'));
      expect(screen.getByTestId(panelTestIds.source)).not.toHaveTextContent('/2');
      expect(calls('api/targets').map(([, , req]) => req.params)).toEqual([
        { watch: 'node', limit: MAX_PAGE_LIMIT },
        { watch: 'node', limit: MAX_PAGE_LIMIT, cursor: 'p2' },
      ]);
      expect(calls('api/anomalies').filter(([, , req]) => req.params.target === targetB.id)).toHaveLength(2);
      expect(screen.getByRole('list', { name: 'Anomalies in range' }).children).toHaveLength(3);
      expect(screen.queryByTestId(panelTestIds.error)).not.toBeInTheDocument();

      // A re-render with the same data asks nothing again.
      const asked = backendRequest.mock.calls.length;
      rerender(<AnomalyPanel {...panel} width={640} />);
      expect(backendRequest).toHaveBeenCalledTimes(asked);
    });

    it('stops reading pages once every series has its target', async () => {
      backendRequest.mockImplementation(paged);
      render(<AnomalyPanel {...props([twoSeries[0]], { backendSignal: 'node/cpu', source: 'backend' })} />);
      await waitFor(() => expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('Scored by backend'));
      expect(calls('api/targets')).toHaveLength(1);
    });

    it('gives up after a bounded number of pages, and says so', async () => {
      let page = 0;
      backendRequest.mockImplementation((path: string, schema: unknown, req?: { params: Record<string, unknown> }) =>
        path === 'api/targets'
          ? Promise.resolve({
              targets: [{ ...target, id: `node{instance="x${page}"}`, labels: { instance: `x${page}` } }],
              next: `p${++page}`,
            })
          : paged(path, schema, req)
      );
      render(<AnomalyPanel {...props(twoSeries, { backendSignal: 'node/cpu', source: 'backend' })} />);
      await waitFor(() =>
        expect(screen.getByTestId(panelTestIds.error)).toHaveTextContent(
          'Backend: the watch "node" lists more than 10000 targets; the panel looked for its series among the first 10000 only'
        )
      );
      expect(calls('api/targets')).toHaveLength(10);
      expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('not scored');
    });
  });

  describe('its time to failure', () => {
    const forecasting = (timeToFailure: object | null, more: object = {}) => {
      const watched = { ...target, timeToFailure, ...more };
      return (path: string) => {
        if (path === 'api/targets') {
          return Promise.resolve({ targets: [watched] });
        }
        if (path.startsWith('api/targets/')) {
          return Promise.resolve({ target: watched, series: { cpu: [] }, anomalies: [], predictions: [], model: null });
        }
        return Promise.resolve({ anomalies: [] });
      };
    };
    // A 4-day dashboard forecasts 24 h ahead: far enough for the browser's plain trend model to carry
    // the morning rise across 0.85.
    const panel = () => morningRisePanel(96, { source: 'backend', backendSignal: 'node/cpu' }, { instance: 'a' });
    const ttf = {
      signal: 'cpu',
      limit: 0.9,
      direction: 'above',
      seconds: 7200,
      lowerSeconds: 5400,
      upperSeconds: null,
      fromMs: morningRise().t[359],
    };

    async function summaryWith(timeToFailure: object | null) {
      backendRequest.mockImplementation(forecasting(timeToFailure));
      const { unmount } = render(<AnomalyPanel {...panel()} />);
      await waitFor(() => expect(screen.getByTestId(panelTestIds.source)).toHaveTextContent('Scored by backend'));
      const text = screen.getByTestId(panelTestIds.timeToFailure).textContent;
      unmount();
      return text;
    }

    it('says the backend forecasts none where it gives none, not the browser’s crossing', async () => {
      await expect(summaryWith(null)).resolves.toBe('Time to failure: none forecast by the backend');
    });

    it('shows the backend’s time to failure for the series’ own signal only, unlabelled', async () => {
      await expect(summaryWith({ ...ttf, signal: 'memory' })).resolves.toBe(
        'Time to failure: none forecast by the backend'
      );
      await expect(summaryWith(ttf)).resolves.toBe('Time to failure: cpu a crosses 0.9 in 2 h (1 h 30 min – later)');
    });

    it('counts down from the end of the dashboard’s range, and says as of when the forecast is out of date', async () => {
      // Made 30 min before the range ends, at a 1-minute step: 30 steps old.
      const made = morningRise().t[359] - 30 * 60_000;
      await expect(summaryWith({ ...ttf, fromMs: made, stepMs: 60_000 })).resolves.toBe(
        'Time to failure: cpu a crosses 0.9 in 1 h 30 min (1 h – later), as of Jan 2, 04:29 UTC'
      );
    });

    it('says why the backend forecasts none', async () => {
      backendRequest.mockImplementation(forecasting(null, { noForecast: 'no significant trend' }));
      render(<AnomalyPanel {...panel()} />);
      await waitFor(() =>
        expect(screen.getByTestId(panelTestIds.timeToFailure)).toHaveTextContent(
          /^Time to failure: none forecast by the backend: no significant trend$/
        )
      );
    });
  });

  it('never asks the backend when scoring in the browser or without a signal', () => {
    render(<AnomalyPanel {...props([frameOf('noise', 'cpu')], { backendSignal: 'node/cpu', source: 'browser' })} />);
    render(<AnomalyPanel {...props([frameOf('noise', 'cpu')])} />);
    expect(backendRequest).not.toHaveBeenCalled();
  });
});

describe('panel options', () => {
  it('defaults to the recommended detector and threshold, every layer, scores from the backend when it has them', () => {
    expect(defaults).toMatchObject({
      sensitivity: 50,
      detector: 'failureprophet',
      source: 'auto',
      forecastDirection: 'above',
      showLegend: true,
      layers: { band: true, score: true, anomalies: true, forecast: true },
    });
    expect(defaults.forecastLimit).toBeUndefined();
  });

  it('offers the detectors the product may use, not those kept for comparison', () => {
    const builder = new PanelOptionsEditorBuilder<AnomalyPanelOptions>();
    plugin.getPanelOptionsSupplier()(builder, { data: [] });
    const detectorOption = builder.getItems().find((e) => e.path === 'detector');
    expect(detectorOption?.settings?.options.map((o: { value: string }) => o.value)).toEqual([
      'failureprophet',
      'ewma',
      'zscore',
      'iforest',
    ]);
  });
});
