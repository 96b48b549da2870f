import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Target } from '../../src/contract/pipeline';
import { testIds } from '../../src/app/testIds';
import { axeScan, browserSuite, screenshot, screenshotBothThemes, setTheme, type SuiteBackend } from './harness';

const PLUGIN_ID = 'failureprophet-healing-app';
const TOKEN = 'sparkline-test-token';
const NOW = Date.UTC(2025, 5, 1, 12);

function target(id: string, score: number, scores?: Array<[number, number]>): Target {
  return {
    id,
    watch: 'latency',
    labels: { deployment: id },
    object: null,
    score,
    threshold: 0.8,
    severity: score >= 0.8 ? 'critical' : null,
    failureModel: score >= 0.8 ? 'resource_exhaustion' : null,
    timeToFailure: null,
    openAnomalies: score >= 0.8 ? 1 : 0,
    lastScoredAt: NOW,
    learning: false,
    learningProgress: 1,
    learningSecondsLeft: 0,
    faultsOnlySecondsLeft: 0,
    degraded: false,
    signals: [],
    scores,
  };
}

/** A target whose labels have long values without spaces, as pod and instance names do. */
const LONG_ID = `latency{pod="checkout-7d9f8c6b5-${'x'.repeat(60)}",instance="ip-10-0-12-34.eu-west-1.compute.internal:9100"}`;

/** Two hours of scores with a spike past the threshold near the end. */
const history: Array<[number, number]> = Array.from({ length: 60 }, (_, i) => [
  NOW - (59 - i) * 120_000,
  i === 52 ? 0.95 : 0.2 + 0.1 * Math.sin(i / 4),
]);

const TARGETS = [target('cart', 0.9, history), target('search', 0.1), target(LONG_ID, 0.85)];

/** GET /api/targets as the backend answers it: filtered by severity and sorted by score when asked (one page). */
function listed(params: URLSearchParams) {
  const severity = params.get('severity');
  const chosen = TARGETS.filter((t) => severity === null || t.severity === severity);
  if (params.get('sort') === 'score') {
    const sign = params.get('order') === 'asc' ? 1 : -1;
    chosen.sort((a, b) => sign * (a.score - b.score) || sign * a.id.localeCompare(b.id));
  }
  return { targets: chosen, next: null, total: chosen.length };
}

/** A backend that answers the Overview's reads with fixed targets (the real one needs Prometheus to have any). */
async function fakeBackend(): Promise<SuiteBackend> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend');
    const path = url.pathname;
    const bodies: Record<string, unknown> = {
      '/readyz': { status: 'ready', checks: { store: { ok: true }, prometheus: { ok: true } } },
      '/api/targets': listed(url.searchParams),
      '/api/anomalies': { anomalies: [] },
      '/api/targets/cart': {
        target: target('cart', 0.9, history),
        series: {
          p99: history.map(([t, score], i) => ({
            t,
            value: i === 52 ? 2.4 : 0.4 + 0.05 * Math.sin(i / 4),
            expected: 0.4,
            lower: 0.3,
            upper: 0.5,
            score,
          })),
        },
        anomalies: [],
        predictions: [],
        model: null,
      },
      '/api/actions': { items: [], total: 0 },
    };
    const body = req.headers.authorization === `Bearer ${TOKEN}` ? bodies[path] : undefined;
    res
      .writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' })
      .end(JSON.stringify(body ?? { message: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: TOKEN,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

jest.setTimeout(120_000);

describe('the Overview score sparkline in a real browser', () => {
  const suite = browserSuite({ page: 'app', bundle: 'app-sparkline', backend: fakeBackend });

  it("draws each target's recent scores with Grafana's Sparkline, named for screen readers, in both themes", async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/overview`);
    const cell = page.getByTestId(testIds.overviewSparkline.cell('cart'));
    await cell.waitFor();
    await expect(cell.getAttribute('aria-label')).resolves.toBe(
      'Score over the last 1 h 58 min, max 0.95 (threshold 0.80)'
    );
    // uPlot drew on its canvas: some pixels are not transparent.
    const painted = await cell.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      return data.filter((_, i) => i % 4 === 3 && data[i] > 0).length;
    });
    expect(painted).toBeGreaterThan(50);
    // A target without history has no sparkline.
    await expect(page.getByTestId(testIds.overview.target('search')).locator('canvas').count()).resolves.toBe(0);
    await screenshot(page, 'overview-sparkline-dark');
    expect(await axeScan(page)).toEqual([]);
    await setTheme(page, 'light');
    await screenshot(page, 'overview-sparkline-light');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });

  it('fits every column of the targets table in a 1024 px window, long label values wrapping', async () => {
    const page = await suite.browser.newPage();
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/overview`);
    await page.getByTestId(testIds.overview.target(LONG_ID)).waitFor();
    const fit = await page.getByTestId(testIds.overview.targets).evaluate((section) => {
      const table = section.querySelector('table')!;
      return {
        overflow: table.parentElement!.scrollWidth - table.parentElement!.clientWidth,
        hidden: Array.from(table.querySelectorAll('th'))
          .filter((th) => th.getBoundingClientRect().right > document.documentElement.clientWidth)
          .map((th) => th.textContent),
      };
    });
    expect(fit).toEqual({ overflow: 0, hidden: [] });
    await screenshot(page, 'overview-targets-1024-dark');
    await page.close();
  });

  it("filters the targets by severity with Grafana's Combobox, typed into and picked from its list", async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/overview`);
    await page.getByTestId(testIds.overview.target('search')).waitFor();
    const severity = page.getByRole('combobox', { name: 'Filter by severity' });
    await expect(severity.inputValue()).resolves.toBe('Any severity');
    await severity.click();
    await severity.fill('crit');
    await page.getByRole('option', { name: 'critical' }).click();
    // The pick's effect first (the filtered list, without the search target): the box shows the pick
    // once the page has re-rendered with it, which a loaded machine may not have done at the click.
    await page.getByTestId(testIds.overview.target('search')).waitFor({ state: 'detached' });
    await expect(severity.inputValue()).resolves.toBe('critical');
    const rows = page.getByTestId(testIds.overview.targets).locator('a[href]');
    await expect(rows.allTextContents()).resolves.toEqual(['cart', LONG_ID]);
    expect(new URL(page.url()).searchParams.get('severity')).toBe('critical');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });

  it('shows a target in detail, in both themes', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/target/cart`);
    await page.getByTestId(testIds.targetDetail.container).getByRole('heading', { name: 'cart' }).waitFor();
    await screenshotBothThemes(page, 'target-detail');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });
});
