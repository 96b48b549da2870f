import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import type { WatchStatus } from '../../../contract/pipeline';
import { healingPaths } from '../../api/healing';
import { pipelinePaths } from '../../api/pipeline';
import { PluginSettingsContext, type AppSettings } from '../../pluginSettings';
import { installFakeBackendSrv, requestsTo, type FakeReply } from '../../testUtils/fakeBackendSrv';
import { anomaly, pendingAction, target } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { TargetDetail } from './TargetDetail';

const id = 'latency{deployment="cart"}';
const detail = {
  target: target(id, { severity: 'high', failureModel: 'crash' }),
  series: {
    p99: [0, 1, 2].map((i) => ({
      t: 1_700_000_000_000 + i * 60_000,
      value: i === 2 ? 9 : 1,
      expected: 1,
      lower: 0.5,
      upper: 1.5,
      score: i === 2 ? 0.99 : 0.1,
    })),
  },
  anomalies: [anomaly(5, { target: id })],
  predictions: [],
  model: null,
};

const verified = pendingAction(31, {
  state: 'verified',
  trigger: { ...pendingAction().trigger, source: 'anomaly', id: 5, watch: 'latency', labels: { deployment: 'cart' } },
  policy: 'critical-scale-out',
  verification: { recovered: true, message: 'score 0.12 after 5 min', at: 1_700_000_400_000 },
});
const dryRun = pendingAction(30, {
  state: 'dry_run',
  gate: 'dry-run',
  policy: 'notify-medium',
  action: { type: 'notify', message: 'p99 latency up' },
});

function renderDetail(
  settings: AppSettings,
  reply: FakeReply = { data: detail },
  actions: FakeReply = { data: { items: [verified, dryRun], total: 2 } },
  targetId = id,
  watchStatus: Partial<WatchStatus> = {}
) {
  const fetch = installFakeBackendSrv({
    [`GET ${pipelinePaths.target(targetId)}`]: reply,
    [`GET ${healingPaths.actions}`]: actions,
    [`GET ${pipelinePaths.watches}`]: {
      data: {
        watches: [
          {
            name: 'latency',
            queries: { p99: 'histogram_quantile(0.99, rate(http_duration_bucket[5m]))' },
            targetLabels: ['deployment'],
            stepSeconds: 60,
            historySeconds: 86400,
            source: 'x',
            targets: 1,
            series: 1,
            degraded: false,
            lastError: null,
            lastProcessedAt: null,
            lastCycleAt: null,
            lastCycleSeconds: null,
            ...watchStatus,
          },
        ],
      },
    },
  });
  render(
    <PluginSettingsContext.Provider value={settings}>
      <MemoryRouter
        initialEntries={[`/target/${encodeURIComponent(targetId)}`]}
        future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
      >
        <Routes>
          <Route path="/target/:id" element={<TargetDetail />} />
        </Routes>
      </MemoryRouter>
    </PluginSettingsContext.Provider>
  );
  return fetch;
}

describe('TargetDetail', () => {
  it('shows the series with its band, the anomalies, and links to Explore for the same range', async () => {
    renderDetail({ backendUrl: 'http://b:3001', prometheusDatasourceUid: 'prom' });
    expect(await screen.findByRole('img', { name: 'p99: 3 steps, 1 above the threshold' })).toBeInTheDocument();
    expect(screen.getByTestId(testIds.feedback.confirmed(5))).toBeInTheDocument();
    const explore = await screen.findByTestId(testIds.targetDetail.explore);
    const href = decodeURIComponent(explore.getAttribute('href') ?? '');
    expect(href).toContain('histogram_quantile(0.99, rate(http_duration_bucket[5m]))');
    expect(href).toContain('"from":"1700000000000","to":"1700000120000"');
  });

  it("shows what its watch's answers warn of (a partial answer), with or without a data source for Explore", async () => {
    const warning = {
      query: 'p99',
      message: 'partial response: store 10.0.0.7:10901 unavailable',
      at: 1_700_000_120_000,
    };
    renderDetail({ backendUrl: 'http://b:3001' }, undefined, undefined, id, { warning });
    const note = await screen.findByRole('alert', { name: 'The answers to query p99 of watch latency warn' });
    expect(note).toHaveTextContent(warning.message);
    expect(screen.queryByTestId(testIds.targetDetail.explore)).toBeNull();
  });

  it('says how far its learning is beside its severity, as the Overview does', async () => {
    const learningShapes = { ...detail, target: { ...detail.target, faultsOnlySecondsLeft: 20 * 3600 } };
    renderDetail({ backendUrl: 'http://b:3001' }, { data: learningShapes });
    expect(await screen.findByText('Learning shapes · about 20 h left')).toBeInTheDocument();
    expect(screen.getByText('high')).toBeInTheDocument();
  });

  it("lists the actions this target's anomalies raised, with state, policy and verification", async () => {
    const fetch = renderDetail({ backendUrl: 'http://b:3001' });
    const section = within(await screen.findByTestId(testIds.targetActions.section));
    const row = within(await section.findByTestId(testIds.targetActions.action(31)));
    expect(row.getByText('Scale deployment shop/cart to 4 replicas')).toBeInTheDocument();
    expect(row.getByText('critical-scale-out')).toBeInTheDocument();
    expect(row.getByText('Verified: recovered')).toBeInTheDocument();
    expect(row.getByText('Recovered: score 0.12 after 5 min')).toBeInTheDocument();
    const other = within(section.getByTestId(testIds.targetActions.action(30)));
    expect(other.getByText('Dry run')).toBeInTheDocument();
    expect(other.getByText('Notify: p99 latency up')).toBeInTheDocument();
    expect(section.getByRole('link', { name: 'Actions page' })).toHaveAttribute(
      'href',
      '/a/failureprophet-healing-app/actions'
    );
    expect(requestsTo(fetch, 'GET', healingPaths.actions)[0].params).toMatchObject({ triggerTarget: id });
  });

  it('says when no action was taken for the target', async () => {
    renderDetail({ backendUrl: 'http://b:3001' }, { data: detail }, { data: { items: [], total: 0 } });
    expect(await screen.findByTestId(testIds.targetActions.empty)).toHaveTextContent(
      'No actions taken for this target.'
    );
    expect(within(screen.getByTestId(testIds.targetActions.section)).queryByRole('table')).toBeNull();
  });

  it('says when there are more actions than it shows', async () => {
    renderDetail({ backendUrl: 'http://b:3001' }, { data: detail }, { data: { items: [verified], total: 42 } });
    expect(await screen.findByRole('link', { name: 'All 42 on the Actions page' })).toBeInTheDocument();
  });

  // Label values are free text (an HTTP route label such as "/items/%7Bid%7D", "50%"): the router
  // hands the id over decoded once, so decoding it again misreads "%7B" and throws on a bare "%".
  it.each([
    ['a bare %', 'latency{route="/items/50%"}'],
    ['an escape', 'latency{route="/items/%7Bid%7D"}'],
  ])('opens the target its link names when a label value holds %s', async (_what, percentId) => {
    const fetch = renderDetail(
      { backendUrl: 'http://b:3001' },
      { data: { ...detail, target: target(percentId), anomalies: [] } },
      { data: { items: [], total: 0 } },
      percentId
    );
    expect(await screen.findByRole('heading', { name: percentId })).toBeInTheDocument();
    expect(requestsTo(fetch, 'GET', pipelinePaths.target(percentId))).toHaveLength(1);
  });

  it('says what an unknown target means and where its anomalies are, rather than an error', async () => {
    renderDetail(
      { backendUrl: 'http://b:3001' },
      { status: 404, data: { error: 'not_found', message: `no target "${id}"` } }
    );
    const alert = await screen.findByRole('status');
    expect(alert).toHaveTextContent(`${id} is not watched right now`);
    expect(alert).toHaveTextContent(/keeps nothing of it: no anomaly, prediction or model/);
    expect(within(alert).getByRole('link', { name: 'Overview' })).toHaveAttribute(
      'href',
      '/a/failureprophet-healing-app/overview'
    );
  });

  it('shows the stored history of a target no runner scores, and why it is not scored, rather than a dead end', async () => {
    const unscored = {
      scored: false,
      target: {
        id,
        watch: 'latency',
        labels: { deployment: 'cart' },
        lastSeenAt: 1_700_000_300_000,
        reason: 'watch_not_running',
        message: 'Its watch "latency" does not run: it was removed or renamed, or its definition changed its name',
      },
      series: {},
      anomalies: [anomaly(5, { target: id })],
      predictions: [],
      model: null,
    };
    renderDetail({ backendUrl: 'http://b:3001', prometheusDatasourceUid: 'prom' }, { data: unscored });
    const alert = await screen.findByTestId(testIds.targetDetail.unscored);
    expect(alert).toHaveTextContent('Not scored now: this is what it recorded');
    expect(alert).toHaveTextContent('Its watch "latency" does not run');
    expect(alert).toHaveTextContent(/Last seen/);
    // Its anomalies (with their feedback buttons) and the actions they raised are there; no band to draw.
    expect(screen.getByTestId(testIds.feedback.confirmed(5))).toBeInTheDocument();
    expect(await screen.findByTestId(testIds.targetActions.action(31))).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Signals' })).toBeNull();
    expect(screen.queryByTestId(testIds.targetDetail.explore)).toBeNull();
  });

  it('lists its recorded predictions, says when one is recorded, and words a crossing passed as such', async () => {
    const made = Date.UTC(2025, 2, 5, 12);
    const prediction = (n: number, minutes: number, seconds: number) => ({
      id: n,
      target: id,
      watch: 'latency',
      signal: 'p99',
      madeAt: made + minutes * 60_000,
      limit: 2,
      direction: 'above' as const,
      seconds,
      lowerSeconds: seconds,
      upperSeconds: seconds,
      predictedFailureAt: made + minutes * 60_000 + seconds * 1000,
    });
    // Newest first, as the backend lists them.
    renderDetail(
      { backendUrl: 'http://b:3001' },
      { data: { ...detail, predictions: [prediction(3, 300, 0), prediction(2, 120, 5400), prediction(1, 0, 18_000)] } }
    );
    const list = within(await screen.findByRole('region', { name: 'Predictions' }));
    expect(
      list.getByText(/Recorded when a forecast starts, when its crossing moves, and when it ends/)
    ).toBeInTheDocument();
    expect(list.getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      '2025-03-05 17:00:00 UTC: p99 above 2 (crossed)',
      '2025-03-05 14:00:00 UTC: p99 above 2 at 2025-03-05 15:30:00 UTC',
      '2025-03-05 12:00:00 UTC: p99 above 2 at 2025-03-05 17:00:00 UTC',
    ]);
  });

  it("links to the target's entries in the audit log", async () => {
    renderDetail({ backendUrl: 'http://b:3001' });
    const link = await screen.findByTestId(testIds.targetDetail.audit);
    expect(link.getAttribute('href')).toMatch(/^\/a\/failureprophet-healing-app\/audit\?target=/);
    expect(new URL(link.getAttribute('href')!, 'http://grafana').searchParams.get('target')).toBe(id);
  });

  it('says why a target cannot be loaded when the backend fails', async () => {
    renderDetail({ backendUrl: 'http://b:3001' }, { status: 500, data: { message: 'store unavailable' } });
    expect(await screen.findByText(`Cannot load target ${id}`)).toBeInTheDocument();
  });
});
