import React from 'react';
import { screen, within } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import type { FieldSparkline } from '@grafana/data';
import { config } from '@grafana/runtime';
import { pipelinePaths } from '../../api/pipeline';
import { MAX_PAGE_LIMIT } from '../../../contract/pipeline';
import { chooseOption, installComboboxLayout } from '../../testUtils/combobox';
import { installFakeBackendSrv, requestsTo, type FakeReply } from '../../testUtils/fakeBackendSrv';
import { anomaly, target } from '../../testUtils/fixtures';
import { locationSearch, renderPageAt } from '../../testUtils/locationSearch';
import { testIds } from '../../testIds';
import { Overview, OVERVIEW_ANOMALIES } from './Overview';

const user = setupUser();
installComboboxLayout();

// uPlot needs a real canvas (the browser test draws the real sparkline): here, what it is handed.
jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  Sparkline: ({ sparkline }: { sparkline: FieldSparkline }) => (
    <div data-testid="sparkline" data-x={sparkline.x?.values.join(',')} data-y={sparkline.y.values.join(',')} />
  ),
}));

/** When the fixture's time to failure was made. */
const MADE = Date.UTC(2026, 11, 4, 14, 0, 0);
const ready = { data: { status: 'ready', checks: { store: { ok: true }, prometheus: { ok: true } } } };
const targets = [
  target('cart', {
    score: 0.95,
    severity: 'critical',
    failureModel: 'resource_exhaustion',
    openAnomalies: 1,
    scores: [
      [0, 0.1],
      [3_600_000, 0.97],
      [7_200_000, 0.9],
    ],
    timeToFailure: {
      signal: 'memory',
      limit: 1,
      direction: 'above',
      seconds: 2820,
      lowerSeconds: 2400,
      upperSeconds: null,
      fromMs: MADE,
    },
  }),
  target('search', { score: 0.1 }),
  target('checkout', { score: 0.5, severity: 'medium', failureModel: 'crash' }),
];

function routes(overrides: Record<string, FakeReply> = {}) {
  return installFakeBackendSrv({
    'GET readyz': ready,
    [`GET ${pipelinePaths.targets}`]: { data: { targets } },
    [`GET ${pipelinePaths.anomalies}`]: { data: { anomalies: [anomaly(11)] } },
    [`POST ${pipelinePaths.feedback(11)}`]: {
      data: {
        anomaly: anomaly(11, {
          feedback: [{ kind: 'false_positive', source: 'operator', user: 'admin', comment: null, at: 1 }],
        }),
      },
    },
    ...overrides,
  });
}

const renderPage = (backendUrl = 'http://backend:3001', url = '/overview') =>
  renderPageAt(url, <Overview />, backendUrl);

// Each row's link, read from the DOM: a role query computes every element's styles, which for 50
// rows under load took seconds per call.
const rowOrder = () =>
  Array.from(screen.getByTestId(testIds.overview.targets).querySelectorAll('a[href]'), (a) => a.textContent);
const pageButton = (page: string) =>
  Array.from(screen.getByTestId(testIds.overview.targets).querySelectorAll('button')).find(
    (b) => b.textContent === page
  )!;

describe('Overview', () => {
  beforeEach(() => {
    config.bootData.user = { ...config.bootData.user, orgRole: 'Editor' } as typeof config.bootData.user;
  });

  it('asks for configuration when no backend URL is set', () => {
    const fetch = routes();
    renderPage('');
    expect(screen.getByTestId(testIds.backendStatus.notConfigured)).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('lists targets by score with severity, failure model and time to failure, linking to their detail', async () => {
    // The page counts the time to failure from now: now is a minute after it was made.
    const now = jest.spyOn(Date, 'now').mockReturnValue(MADE + 60_000);
    routes();
    renderPage();
    const cart = within(await screen.findByTestId(testIds.overview.target('cart')));
    expect(rowOrder()).toEqual(['cart', 'checkout', 'search']);
    expect(cart.getByText('critical')).toBeInTheDocument();
    expect(cart.getByText('resource exhaustion')).toBeInTheDocument();
    expect(cart.getByText('in 46 min (memory)')).toBeInTheDocument();
    expect(cart.getByRole('meter')).toHaveAttribute('aria-valuenow', '0.95');
    expect(cart.getByRole('link', { name: 'cart' })).toHaveAttribute(
      'href',
      '/a/failureprophet-healing-app/target/cart'
    );
    now.mockRestore();
  });

  it("draws each target's recent score history, named by its span and peak, and asks for it", async () => {
    const fetch = routes();
    renderPage();
    const sparkline = await screen.findByTestId(testIds.overviewSparkline.cell('cart'));
    expect(sparkline).toHaveAccessibleName('Score over the last 2 h, max 0.97 (threshold 0.80)');
    expect(within(sparkline).getByTestId('sparkline')).toHaveAttribute('data-y', '0.1,0.97,0.9');
    expect(within(screen.getByTestId(testIds.overview.target('search'))).queryByRole('img')).toBeNull();
    expect(requestsTo(fetch, 'GET', pipelinePaths.targets)[0].params).toEqual({
      history: 'true',
      limit: MAX_PAGE_LIMIT,
    });
  });

  it('sorts by a column and filters by text', async () => {
    routes();
    renderPage();
    await screen.findByTestId(testIds.overview.target('cart'));
    await user.click(screen.getByRole('button', { name: 'Target' }));
    expect(rowOrder()).toEqual(['search', 'checkout', 'cart']);
    await user.click(screen.getByRole('button', { name: /^Target/ }));
    expect(rowOrder()).toEqual(['cart', 'checkout', 'search']);
    await user.type(screen.getByTestId(testIds.overview.filter), 'crash');
    expect(rowOrder()).toEqual(['checkout']);
  });

  it('pages a large fleet, most anomalous first, and goes back to the first page on a new filter', async () => {
    const fleet = Array.from({ length: 120 }, (_, i) =>
      target(`pod-${String(i).padStart(3, '0')}`, { score: i / 200 })
    );
    routes({ [`GET ${pipelinePaths.targets}`]: { data: { targets: fleet } } });
    renderPage();
    await screen.findByTestId(testIds.overview.target('pod-119'));
    expect(rowOrder()).toHaveLength(50);
    expect(rowOrder()[0]).toBe('pod-119');
    expect(screen.getByText('120 targets')).toBeInTheDocument();
    await user.click(pageButton('3'));
    expect(rowOrder()).toEqual(
      fleet
        .slice(0, 20)
        .map((t) => t.id)
        .reverse()
    );
    await user.click(screen.getByTestId(testIds.overview.filter));
    await user.paste('pod-00');
    expect(rowOrder()).toEqual(
      fleet
        .slice(0, 10)
        .map((t) => t.id)
        .reverse()
    );
    expect(screen.getByText('10 of 120 targets')).toBeInTheDocument();
  });

  it('says when the backend has more targets and anomalies than it listed', async () => {
    const fleet = Array.from({ length: MAX_PAGE_LIMIT }, (_, i) => target(`pod-${String(i).padStart(4, '0')}`));
    const recent = Array.from({ length: OVERVIEW_ANOMALIES }, (_, i) => anomaly(i + 1));
    const fetch = routes({
      [`GET ${pipelinePaths.targets}`]: { data: { targets: fleet, next: 'more' } },
      [`GET ${pipelinePaths.anomalies}`]: { data: { anomalies: recent, next: 'older' } },
    });
    renderPage();
    expect(
      await screen.findByText('1000 targets (the backend lists at most 1000; more are not shown)')
    ).toBeInTheDocument();
    expect(
      await screen.findByText('The latest 200 are listed: the backend has more in the last 24 hours.')
    ).toBeInTheDocument();
    expect(requestsTo(fetch, 'GET', pipelinePaths.anomalies)[0].params).toEqual(
      expect.objectContaining({ limit: OVERVIEW_ANOMALIES })
    );
  });

  it('says nothing of more when the backend listed everything', async () => {
    routes({
      [`GET ${pipelinePaths.targets}`]: { data: { targets, next: null } },
      [`GET ${pipelinePaths.anomalies}`]: { data: { anomalies: [anomaly(11)], next: null } },
    });
    renderPage();
    expect(await screen.findByText('3 targets')).toBeInTheDocument();
    await screen.findByTestId(testIds.feedback.falsePositive(11));
    expect(screen.queryByText(/more are not shown|the backend has more/)).not.toBeInTheDocument();
  });

  it('keeps the filter, severity, sort and page in the URL, so a link shows the same view', async () => {
    const fleet = Array.from({ length: 120 }, (_, i) =>
      target(`pod-${String(i).padStart(3, '0')}`, { score: i / 200, severity: i % 2 ? 'high' : null })
    );
    const high = fleet.filter((_, i) => i % 2).map((t) => t.id);
    routes({ [`GET ${pipelinePaths.targets}`]: { data: { targets: fleet } } });
    renderPage(undefined, '/overview?severity=high&sort=target&order=asc&page=2');
    await screen.findByTestId(testIds.overview.target('pod-101'));
    expect(rowOrder()).toEqual(high.slice(50));
    expect(screen.getByText('60 of 120 targets')).toBeInTheDocument();
    const severity = screen.getByRole('combobox', { name: 'Filter by severity' });
    expect(severity).toHaveValue('high');

    await user.click(screen.getByRole('button', { name: /^Target/ }));
    await user.type(screen.getByTestId(testIds.overview.filter), 'pod-0');
    expect(rowOrder()).toEqual(high.slice(0, 50).reverse());
    expect(locationSearch()).toEqual({
      severity: 'high',
      sort: 'target',
      q: 'pod-0',
    });

    await chooseOption(user, severity, 'Any severity');
    expect(screen.getByText('100 of 120 targets')).toBeInTheDocument();
    expect(locationSearch()).toEqual({ sort: 'target', q: 'pod-0' });
  });

  it('shows the default view for URL parameters it does not know', async () => {
    routes();
    renderPage(undefined, '/overview?severity=urgent&sort=toString&page=-3');
    await screen.findByTestId(testIds.overview.target('cart'));
    expect(rowOrder()).toEqual(['cart', 'checkout', 'search']);
  });

  it('says so when there are no targets yet', async () => {
    routes({
      [`GET ${pipelinePaths.targets}`]: { data: { targets: [] } },
      [`GET ${pipelinePaths.anomalies}`]: { data: { anomalies: [] } },
    });
    renderPage();
    expect(await screen.findByTestId(testIds.overview.noTargets)).toHaveTextContent('No targets yet');
  });

  it('shows no empty state beside anomalies when no target is scored right now', async () => {
    routes({ [`GET ${pipelinePaths.targets}`]: { data: { targets: [] } } });
    renderPage();
    expect(await screen.findByTestId(testIds.overview.noTargetsScored)).toHaveTextContent(
      'No target is scored right now'
    );
    expect(screen.getByTestId(testIds.overview.anomalies)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.overview.noTargets)).not.toBeInTheDocument();
  });

  it('records feedback on an anomaly', async () => {
    const fetch = routes();
    renderPage();
    await user.click(await screen.findByTestId(testIds.feedback.falsePositive(11)));
    expect(requestsTo(fetch, 'POST', pipelinePaths.feedback(11))[0].data).toEqual({ kind: 'false_positive' });
    expect(await screen.findByText('False positive (admin)')).toBeInTheDocument();
  });

  it('disables feedback for Viewers', async () => {
    config.bootData.user = { ...config.bootData.user, orgRole: 'Viewer' } as typeof config.bootData.user;
    routes();
    renderPage();
    expect(await screen.findByTestId(testIds.feedback.confirmed(11))).toBeDisabled();
  });

  it('says in words why targets cannot be loaded', async () => {
    routes({
      [`GET ${pipelinePaths.targets}`]: { status: 403, data: { message: 'plugin proxy route access denied' } },
    });
    renderPage();
    expect(await screen.findByText('permission denied: plugin proxy route access denied')).toBeInTheDocument();
  });
});
