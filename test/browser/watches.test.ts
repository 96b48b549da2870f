import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { testIds } from '../../src/app/testIds';
import { watchesConfigResponseSchema } from '../../src/contract/watches';
import { systemClock } from '../../src/server/clock';
import { configSchema } from '../../src/server/config/schema';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { watchRoutes } from '../../src/server/http/routes/watches';
import { buildServer, type App } from '../../src/server/http/server';
import { Pipeline } from '../../src/server/pipeline/pipeline';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { WatchSettings } from '../../src/server/pipeline/watchSettings';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { axeScan, browserSuite, screenshot, setTheme } from './harness';

const PLUGIN_ID = 'failureprophet-healing-app';
const TOKEN = 'browser-watches-token-0123456789';

jest.setTimeout(120_000);

/** The backend's watch routes as main.ts wires them, with the file's watches; no Prometheus (the loop does not run). */
async function startWatchesBackend() {
  const dir = mkdtempSync(join(tmpdir(), 'fp-browser-watches-'));
  const logger = pino({ level: 'silent' });
  const config = configSchema.parse({
    watches: [{ name: 'queue', queries: { depth: 'queue_depth' }, target: ['job'], step: '5m', history: '2d' }],
  });
  const store: SqliteStore = openSqliteStore(dir);
  const settings = new WatchSettings({
    settings: store.settings,
    fromFile: config.watches,
    logger,
    clock: systemClock,
  });
  await settings.load();
  const pipeline = new Pipeline({
    config,
    repository: new SqlitePipelineRepository(store.db, () => systemClock.now()),
    logger,
    metrics: new Registry(),
    clock: systemClock,
    watches: settings.current().parsed,
  });
  const app: App = await buildServer({
    logger,
    apiToken: TOKEN,
    store,
    metrics: new Registry(),
    version: 'browser-test',
    authenticatedRoutes: [pipelineRoutes(pipeline), watchRoutes(pipeline, settings)],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
    token: TOKEN,
    config: async () =>
      watchesConfigResponseSchema.parse(
        (await app.inject({ url: '/api/watches/config', headers: { authorization: `Bearer ${TOKEN}` } })).json()
      ),
    close: async () => {
      await app.close();
      await pipeline.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the Watches config tab in a real browser', () => {
  const suite = browserSuite({ page: 'app', backend: startWatchesBackend });

  it('edits and saves the watches through the proxy, accessibly in both themes', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=watches`);
    await page.getByTestId(testIds.watchesConfig.watch(0)).waitFor();
    await screenshot(page, 'config-watches-dark');
    expect(await axeScan(page)).toEqual([]);

    const history = page.getByTestId(testIds.watchesConfig.watch(0)).getByLabel(/^History/);
    await history.fill('two days');
    await page.getByTestId(testIds.watchesConfig.invalid).waitFor();
    expect(await page.getByTestId(testIds.watchesConfig.save).isDisabled()).toBe(true);
    await history.fill('3d');
    await page.getByTestId(testIds.watchesConfig.save).click();
    await page.getByTestId(testIds.watchesConfig.saveSuccess).waitFor();
    expect(await suite.backend.config()).toMatchObject({
      source: 'store',
      updatedBy: 'admin',
      watches: [{ name: 'queue', history: '3d' }],
    });
    expect(suite.grafana.proxied).toContain('PUT api/admin/watches 200');

    await setTheme(page, 'light');
    await screenshot(page, 'config-watches-light');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });

  it("shows an Editor, whom Grafana's proxy would refuse, the watches with saving disabled, and why", async () => {
    suite.grafana.setRole('Editor');
    const proxiedBefore = suite.grafana.proxied.length;
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=watches`);
    const step = page.getByTestId(testIds.watchesConfig.watch(0)).getByLabel(/^Step/);
    await step.fill('10m');
    expect(await page.getByTestId(testIds.watchesConfig.save).isDisabled()).toBe(true);
    expect(
      await page.getByText('Only Admins of this organization can change this: your role in it is Editor.').count()
    ).toBe(1);
    expect(suite.grafana.proxied.slice(proxiedBefore).filter((p) => p.startsWith('PUT '))).toEqual([]);
    expect((await suite.backend.config()).watches[0].step).toBe('5m');
    await page.close();
  });
});
