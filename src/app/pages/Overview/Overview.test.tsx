import React from 'react';
import { screen, within } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import type { FieldSparkline } from '@grafana/data';
import { config } from '@grafana/runtime';
import { pipelinePaths } from '../../api/pipeline';
import type { Target, TargetSort } from '../../../contract/pipeline';
import { chooseOption, installComboboxLayout } from '../../testUtils/combobox';
import { installFakeBackendSrv, requestsTo, type FakeReply, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { anomaly, target } from '../../testUtils/fixtures';
import { locationSearch, renderPageAt } from '../../testUtils/locationSearch';
import { testIds } from '../../testIds';
import { Overview, OVERVIEW_ANOMALIES } from './Overview';
import { TARGETS_PAGE_SIZE } from './TargetsTable';

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

const SORTED: Record<TargetSort, (t: Target) => number | string> = {
  target: (t) => t.id,
  score: (t) => t.score,
  severity: (t) => ['low', 'medium', 'high', 'critical'].indexOf(t.severity ?? ''),
  timeToFailure: (t) => (t.timeToFailure ? t.timeToFailure.fromMs + t.timeToFailure.seconds * 1000 : Infinity),
  openAnomalies: (t) => t.openAnomalies,
};

/**
 * As the backend lists `fleet`: filtered, sorted over all of it (ties by id in the same direction) and
 * paged (here a cursor is the index of the page's first row).
 */
const listing =
  (fleet: Target[]): FakeRoute =>
  (req) => {
    const p = (req.params ?? {}) as Record<string, string | number | undefined>;
    const needle = String(p.q ?? '').toLowerCase();
    const value = SORTED[(p.sort as TargetSort | undefined) ?? 'score'];
    const direction = p.order === 'asc' ? 1 : -1;
    const rows = fleet
      .filter((t) => !p.severity || t.severity === p.severity)
      .filter((t) => !needle || t.id.toLowerCase().includes(needle) || t.failureModel?.includes(needle))
      .sort((a, b) => {
        const [x, y] = [value(a), value(b)];
        return direction * (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      });
    const start = Number(p.cursor ?? 0);
    const end = start + Number(p.limit);
    return {
      data: { targets: rows.slice(start, end), next: end < rows.length ? String(end) : null, total: rows.length },
    };
  };

function routes(overrides: Record<string, FakeReply | FakeRoute> = {}) {
  return installFakeBackendSrv({
    'GET readyz': ready,
    [`GET ${pipelinePaths.targets}`]: listing(targets),
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
// As rows are read: the pager found by its landmark's name without computing every row's role.
const pager = () => document.querySelector<HTMLElement>('nav[aria-label="Pages of targets"]');
const pageButton = (name: 'First' | 'Previous' | 'Next') => within(pager()!).getByRole('button', { name });

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
      limit: TARGETS_PAGE_SIZE,
      sort: 'score',
      order: 'desc',
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

  it('asks the backend for the worst first over the whole fleet and pages by its cursor', async () => {
    // More than the 1,000 targets a page may hold: the worst is on no first 1,000 by id.
    const fleet = Array.from({ length: 1200 }, (_, i) =>
      target(`pod-${String(i).padStart(4, '0')}`, { score: (i % 600) / 1000 })
    );
    const fetch = routes({ [`GET ${pipelinePaths.targets}`]: listing(fleet) });
    renderPage();
    await screen.findByTestId(testIds.overview.target('pod-1199'));
    expect(rowOrder()).toEqual(['pod-1199', 'pod-0599', 'pod-1198', 'pod-0598'].concat(rowOrder().slice(4)));
    expect(rowOrder()).toHaveLength(TARGETS_PAGE_SIZE);
    expect(screen.getByText('1200 targets')).toBeInTheDocument();
    const asked = () => requestsTo(fetch, 'GET', pipelinePaths.targets).pop()!.params;
    expect(asked()).toMatchObject({ sort: 'score', order: 'desc', limit: TARGETS_PAGE_SIZE });

    await user.click(pageButton('Next'));
    expect(asked()).toMatchObject({ cursor: String(TARGETS_PAGE_SIZE) });
    await screen.findByTestId(testIds.overview.target('pod-1174'));
    expect(rowOrder()[0]).toBe('pod-1174');
    await user.click(pageButton('Next'));
    await screen.findByTestId(testIds.overview.target('pod-1149'));
    await user.click(pageButton('Previous'));
    expect(await screen.findByTestId(testIds.overview.target('pod-1174'))).toBeInTheDocument();
    expect(asked()).toMatchObject({ cursor: String(TARGETS_PAGE_SIZE) });

    // A new filter starts from its first page, filtered by the backend.
    await user.click(screen.getByTestId(testIds.overview.filter));
    await user.paste('pod-000');
    await screen.findByTestId(testIds.overview.target('pod-0009'));
    expect(rowOrder()).toEqual(Array.from({ length: 10 }, (_, i) => `pod-000${9 - i}`));
    expect(asked()).toMatchObject({ q: 'pod-000', cursor: undefined });
    expect(screen.getByText('10 targets')).toBeInTheDocument();
    expect(pager()).toBeNull();
  });

  it('says when the backend has more anomalies than it listed', async () => {
    const recent = Array.from({ length: OVERVIEW_ANOMALIES }, (_, i) => anomaly(i + 1));
    const fetch = routes({ [`GET ${pipelinePaths.anomalies}`]: { data: { anomalies: recent, next: 'older' } } });
    renderPage();
    expect(
      await screen.findByText('The latest 200 are listed: the backend has more in the last 24 hours.')
    ).toBeInTheDocument();
    expect(requestsTo(fetch, 'GET', pipelinePaths.anomalies)[0].params).toEqual(
      expect.objectContaining({ limit: OVERVIEW_ANOMALIES })
    );
  });

  it('says nothing of more when the backend listed everything', async () => {
    routes({ [`GET ${pipelinePaths.anomalies}`]: { data: { anomalies: [anomaly(11)], next: null } } });
    renderPage();
    expect(await screen.findByText('3 targets')).toBeInTheDocument();
    await screen.findByTestId(testIds.feedback.falsePositive(11));
    expect(screen.queryByText(/the backend has more/)).not.toBeInTheDocument();
    expect(pager()).toBeNull();
  });

  it('keeps the filter, severity, sort and page in the URL, so a link shows the same view', async () => {
    const fleet = Array.from({ length: 120 }, (_, i) =>
      target(`pod-${String(i).padStart(3, '0')}`, { score: i / 200, severity: i % 2 ? 'high' : null })
    );
    const high = fleet.filter((_, i) => i % 2).map((t) => t.id);
    const fetch = routes({ [`GET ${pipelinePaths.targets}`]: listing(fleet) });
    renderPage(undefined, '/overview?severity=high&sort=target&order=asc&cursor=50');
    await screen.findByTestId(testIds.overview.target('pod-101'));
    expect(requestsTo(fetch, 'GET', pipelinePaths.targets)[0].params).toMatchObject({
      severity: 'high',
      sort: 'target',
      order: 'asc',
      cursor: '50',
    });
    expect(rowOrder()).toEqual(high.slice(50));
    expect(screen.getByText('60 targets')).toBeInTheDocument();
    const severity = screen.getByRole('combobox', { name: 'Filter by severity' });
    expect(severity).toHaveValue('high');

    await user.click(screen.getByRole('button', { name: /^Target/ }));
    await user.type(screen.getByTestId(testIds.overview.filter), 'pod-0');
    await screen.findByTestId(testIds.overview.target('pod-099'));
    expect(rowOrder()).toEqual(high.slice(0, 50).reverse());
    expect(locationSearch()).toEqual({
      severity: 'high',
      sort: 'target',
      q: 'pod-0',
    });

    await chooseOption(user, severity, 'Any severity');
    expect(await screen.findByText('100 targets')).toBeInTheDocument();
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
      [`GET ${pipelinePaths.targets}`]: listing([]),
      [`GET ${pipelinePaths.anomalies}`]: { data: { anomalies: [] } },
    });
    renderPage();
    expect(await screen.findByTestId(testIds.overview.noTargets)).toHaveTextContent('No targets yet');
  });

  it('shows no empty state beside anomalies when no target is scored right now', async () => {
    routes({ [`GET ${pipelinePaths.targets}`]: listing([]) });
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
