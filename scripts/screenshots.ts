/**
 * `npm run screenshots`: renders the pages plugin.json shows in the plugin catalog (info.screenshots)
 * into src/img/screenshots/, in the dark theme 1440 px wide, as the browser tests render pages
 * (test/browser/harness): Debian's headless Chromium through playwright-core, the plugin's real code
 * bundled with esbuild in the Grafana stub, against the real backend seeded with a small shop
 * (screenshots/seed.ts) and the targets its Prometheus would give it (screenshots/fleet.ts). It needs
 * no build, only Debian's chromium (`bash scripts/install-test-deps.sh`). The build copies each listed
 * file into dist/ (.config/bundler/copyFiles.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { testIds } from '../src/app/testIds';
import { panelTestIds } from '../src/panels/anomaly/testIds';
import {
  bundlePage,
  configuredSettings,
  launchChromium,
  pageErrors,
  screenshot,
  setTheme,
  startBackend,
  startGrafanaStub,
} from '../test/browser/harness';
import { openPanel, render } from '../test/browser/panel/renders';
import { CART_LATENCY } from './screenshots/fleet';
import { startFrontBackend } from './screenshots/frontBackend';
import { pngSize } from './screenshots/png';
import { seedBackend } from './screenshots/seed';

const ROOT = join(__dirname, '..');
const APP = '/a/failureprophet-healing-app';
/** The catalog shows them side by side: one width, wide enough to read a table, and a screen high at most. */
const VIEWPORT = { width: 1440, height: 900 };

type Open = (page: Page, grafanaUrl: string) => Promise<void>;

/** Each screenshot by its path in plugin.json: how to bring its page to what it shows. */
const APP_SHOTS: Record<string, Open> = {
  'img/screenshots/overview.png': async (page, url) => {
    await page.goto(`${url}${APP}/overview`);
    await page.getByTestId(testIds.overviewSparkline.cell(CART_LATENCY)).locator('canvas').waitFor();
    await page.getByTestId(testIds.overview.anomalies).getByText('p99 (above the band)').first().waitFor();
  },
  'img/screenshots/target-detail.png': async (page, url) => {
    await page.goto(`${url}${APP}/target/${encodeURIComponent(CART_LATENCY)}`);
    await page
      .getByTestId(testIds.targetDetail.container)
      .getByText(/^Highest score 0\.93/)
      .waitFor();
    await page.getByTestId(testIds.targetDetail.container).getByText('p99 (above the band)').waitFor();
  },
  'img/screenshots/actions-pending.png': async (page, url) => {
    await page.goto(`${url}${APP}/actions`);
    await page.getByTestId(testIds.actions.pending).getByText(/3.*4/).first().waitFor();
    await page.locator(`[data-testid="${testIds.actions.history}"] [data-state="rejected"]`).waitFor();
  },
  'img/screenshots/audit-log.png': async (page, url) => {
    await page.goto(`${url}${APP}/audit`);
    await page
      .getByTestId(testIds.audit.table)
      .getByText(/one more replica/)
      .first()
      .waitFor();
  },
};
const PANEL_SHOT = 'img/screenshots/anomaly-panel.png';

async function shoot(page: Page, path: string): Promise<void> {
  // In Grafana's default theme, after the page's fades.
  await setTheme(page, 'dark');
  // The page's content, at most a screen of it: a short page leaves no empty half in the catalog.
  const content = await page.locator('main').boundingBox();
  const height = Math.min(VIEWPORT.height, Math.ceil((content?.y ?? 0) + (content?.height ?? VIEWPORT.height)));
  await page.screenshot({ path: join(ROOT, 'src', path), clip: { x: 0, y: 0, width: VIEWPORT.width, height } });
  if (pageErrors.length > 0) {
    throw new Error(`the page threw: ${pageErrors.join('; ')}`);
  }
}

async function main() {
  const listed: string[] = JSON.parse(readFileSync(join(ROOT, 'src', 'plugin.json'), 'utf8')).info.screenshots.map(
    (s: { path: string }) => s.path
  );
  const made = [...Object.keys(APP_SHOTS), PANEL_SHOT];
  if (listed.sort().join() !== [...made].sort().join()) {
    throw new Error(`plugin.json lists ${listed.join(', ')}; this script makes ${made.join(', ')}`);
  }

  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const [appBundle, panelBundle] = [
    await bundlePage(join(ROOT, 'test/browser/app/entry.tsx'), 'screenshots-app'),
    await bundlePage(join(ROOT, 'test/browser/panel/entry.tsx'), 'screenshots-panel'),
  ];
  const backend = await startBackend();
  const closing: Array<() => Promise<void>> = [() => backend.close()];
  try {
    await seedBackend(backend, now);
    const front = await startFrontBackend(backend, now);
    closing.unshift(() => front.close());
    const app = await startGrafanaStub({
      bundleDir: appBundle,
      settings: configuredSettings(front),
      theme: 'dark',
      timeZone: 'UTC',
      dataSources: [{ uid: 'prom-main', name: 'Prometheus', type: 'prometheus' }],
    });
    closing.unshift(() => app.close());
    const panel = await startGrafanaStub({
      bundleDir: panelBundle,
      settings: { enabled: true, pinned: true, jsonData: {}, secureJsonData: {} },
      theme: 'dark',
    });
    closing.unshift(() => panel.close());
    const browser = await launchChromium();
    closing.unshift(() => browser.close());

    const page = await browser.newPage();
    await page.setViewportSize(VIEWPORT);
    for (const [path, open] of Object.entries(APP_SHOTS)) {
      await open(page, app.url).catch(async (err: Error) => {
        // What the page showed instead, beside the browser tests' screenshots (git-ignored).
        await screenshot(page, `failed-${basename(path, '.png')}`);
        throw err;
      });
      await shoot(page, path);
    }
    await openPanel(page, panel.url, 3, 3000, VIEWPORT.width - 32);
    await render(page, 'cold');
    await page.getByTestId(panelTestIds.summary).waitFor();
    await shoot(page, PANEL_SHOT);
    if (front.errors.length > 0) {
      throw new Error(`answers the contract refuses: ${front.errors.join('; ')}`);
    }
  } finally {
    for (const close of closing) {
      await close();
    }
  }
  for (const path of made) {
    const file = join(ROOT, 'src', path);
    const size = pngSize(readFileSync(file));
    console.log(`${path}: ${size?.width}×${size?.height}, ${Math.round(statSync(file).size / 1024)} KiB`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
