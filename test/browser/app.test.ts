import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import {
  axeScan,
  bundlePage,
  configuredSettings,
  launchChromium,
  pageErrors,
  screenshot,
  startBackend,
  startGrafanaStub,
  type GrafanaStub,
  type RunningBackend,
  type RunningBrowser,
} from './harness';

const PLUGIN_ID = 'failureprophet-healing-app';
jest.setTimeout(120_000);

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

async function setTheme(page: Page, mode: 'light' | 'dark') {
  await page.evaluate((m) => (window as unknown as { __setTheme: (x: string) => void }).__setTheme(m), mode);
}

describe('the app in a real browser', () => {
  let bundleDir: string;
  let backend: RunningBackend;
  let grafana: GrafanaStub;
  let browser: RunningBrowser;

  beforeAll(async () => {
    browser = await launchChromium();
    bundleDir = await bundlePage(join(__dirname, 'app/entry.tsx'), 'app');
    backend = await startBackend();
    grafana = await startGrafanaStub({
      bundleDir,
      settings: configuredSettings(backend),
      dataSources: [
        { uid: 'prom-main', name: 'Prometheus', type: 'prometheus' },
        { uid: 'loki', name: 'Loki', type: 'loki' },
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await grafana?.close();
    await backend?.close();
  });

  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  it('shows the overview with the backend status in dark and light themes, accessibly', async () => {
    const page = await browser.newPage();
    await page.goto(`${grafana.url}/a/${PLUGIN_ID}/overview`);
    await byTestId(page, testIds.backendStatus.container).waitFor();
    // The backend really answered through the proxy: no Prometheus is configured in this test.
    await expect(byTestId(page, testIds.backendStatus.check('prometheus')).textContent()).resolves.toMatch(
      /no Prometheus configured/
    );
    await screenshot(page, 'overview-dark');
    expect(await axeScan(page)).toEqual([]);
    await setTheme(page, 'light');
    await screenshot(page, 'overview-light');
    expect(await axeScan(page)).toEqual([]);
    expect(grafana.proxied).toContain('GET readyz 503');
    await page.close();
  });

  it('saves the connection through the settings API', async () => {
    const page = await browser.newPage();
    await page.goto(`${grafana.url}/plugins/${PLUGIN_ID}?page=connection`);
    const url = byTestId(page, testIds.appConfig.backendUrl);
    await url.waitFor();
    await screenshot(page, 'config-connection-dark');
    expect(await axeScan(page)).toEqual([]);
    await url.fill('not a url');
    await expect(page.getByText('Not a URL').count()).resolves.toBe(1);
    await url.fill(backend.url);
    await Promise.all([page.waitForEvent('load'), byTestId(page, testIds.appConfig.submit).click()]);
    expect(grafana.settings.jsonData.backendUrl).toBe(backend.url);
    expect(grafana.settings.secureJsonData.backendToken).toBe(backend.token);
    await page.close();
  });
});
