/**
 * Browser-test harness: real headless Chromium (Debian's, via playwright-core) on a page that
 * mounts the plugin's real code in a Grafana-like shell, talking to the real backend through a
 * stub of Grafana's plugin proxy and settings API.
 *
 * Use (see test/browser/app.test.ts; browserSuite does the set-up and tear-down below for a describe):
 *   const dir = await bundlePage(join(__dirname, 'panel/entry.tsx'), 'panel');   // esbuild
 *   const backend = await startBackend();                                          // buildServer, fresh store
 *   const grafana = await startGrafanaStub({ bundleDir: dir, settings: configuredSettings(backend) });
 *   const browser = await launchChromium();   // fails with "run bash scripts/install-test-deps.sh" if missing
 *   const page = await browser.newPage(); await page.goto(`${grafana.url}/a/failureprophet-healing-app/overview`);
 *   await screenshot(page, 'overview-dark'); expect(await axeScan(page)).toEqual([]);
 *   await setTheme(page, 'light');
 * A page entry calls installGrafanaRuntime() (client/runtime.ts) first and renders inside
 * <GrafanaShell> (client/GrafanaShell.tsx). Screenshots go to test/artifacts/screenshots/ (git-ignored).
 */
export { startBackend, BACKEND_TOKEN, type RunningBackend } from './backend';
export { startGrafanaStub, type GrafanaStub, type OrgRole, type PluginSettings } from './grafanaStub';
export {
  launchChromium,
  screenshot,
  screenshotBothThemes,
  emptyStatesBesideData,
  SCREENSHOTS_DIR,
  axeScan,
  tabOrder,
  pageErrors,
  setTheme,
  ARTIFACTS_DIR,
  type RunningBrowser,
} from './browser';
export { bundlePage } from './bundle';
export { seedOpenAnomaly } from './seed';
export { browserSuite, configuredSettings, type BrowserSuite, type SuiteBackend } from './suite';
