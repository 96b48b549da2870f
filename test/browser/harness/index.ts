/**
 * Browser-test harness: real headless Chromium (Debian's, via playwright-core) on a page that
 * mounts the plugin's real code in a Grafana-like shell, talking to the real backend through a
 * stub of Grafana's plugin proxy and settings API.
 *
 * Use (see test/browser/app.test.ts):
 *   const dir = await bundlePage(join(__dirname, 'panel/entry.tsx'), 'panel');   // esbuild
 *   const backend = await startBackend();                                          // buildServer, fresh store
 *   const grafana = await startGrafanaStub({ bundleDir: dir, settings: configuredSettings(backend) });
 *   const browser = await launchChromium();   // fails with "run bash scripts/install-test-deps.sh" if missing
 *   const page = await browser.newPage(); await page.goto(`${grafana.url}/a/failureprophet-healing-app/overview`);
 *   await screenshot(page, 'overview-dark'); expect(await axeScan(page)).toEqual([]);
 *   await page.evaluate(() => window.__setTheme('light'));
 * A page entry calls installGrafanaRuntime() (client/runtime.ts) first and renders inside
 * <GrafanaShell> (client/GrafanaShell.tsx). Screenshots go to test/artifacts/ (git-ignored).
 */
import type { RunningBackend } from './backend';
import type { PluginSettings } from './grafanaStub';

export { startBackend, BACKEND_TOKEN, type RunningBackend } from './backend';
export { startGrafanaStub, type GrafanaStub, type OrgRole, type PluginSettings } from './grafanaStub';
export {
  launchChromium,
  screenshot,
  axeScan,
  tabOrder,
  pageErrors,
  ARTIFACTS_DIR,
  type RunningBrowser,
} from './browser';
export { bundlePage } from './bundle';

/** App settings pointing at a running backend, as an admin would have saved them. */
export function configuredSettings(backend: RunningBackend): PluginSettings {
  return {
    enabled: true,
    pinned: true,
    jsonData: { backendUrl: backend.url },
    secureJsonData: { backendToken: backend.token },
  };
}
