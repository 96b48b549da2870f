import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { auditListSchema } from '../contract/healing';
import { kubernetesSettingsSchema } from '../contract/kubernetes';
import { watchesConfigResponseSchema } from '../contract/watches';
import { assembleBackend } from './assemble';
import { configSchema } from './config/schema';
import { buildServer, type App } from './http/server';
import { createLogger } from './logger';
import { createMetricsRegistry } from './metrics';
import { openSqliteStore, type SqliteStore } from './store/sqlite';
import { TestClock } from '../../test/pipeline/helpers';

/** The assembled parts' one clock: the audit's time comes from it. */
const T = Date.UTC(2025, 5, 1);

const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));

describe('the backend as main assembles it', () => {
  let dir: string;
  let store: SqliteStore;
  let app: App;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fp-assemble-'));
    store = openSqliteStore(dir);
    const config = configSchema.parse({ dataDir: dir, watches: [] });
    const metrics = createMetricsRegistry();
    const { routes } = await assembleBackend({ config, store, logger: quiet, metrics, clock: new TestClock(T) });
    app = await buildServer({
      logger: quiet,
      apiToken: TOKEN,
      store,
      metrics,
      version: 'test',
      authenticatedRoutes: routes,
    });
  });

  afterEach(async () => {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the pipeline, watch, Kubernetes and healing routes, and audits a change of the watches', async () => {
    expect((await app.inject({ url: '/api/targets', headers: auth })).statusCode).toBe(200);
    expect(
      watchesConfigResponseSchema.parse((await app.inject({ url: '/api/watches/config', headers: auth })).json())
    ).toMatchObject({ source: 'file', watches: [] });
    expect(
      kubernetesSettingsSchema.parse((await app.inject({ url: '/api/kubernetes', headers: auth })).json())
    ).toMatchObject({ source: 'none' });

    // A source that does not answer is saved (the watch then shows degraded), so no Prometheus is needed.
    const put = await app.inject({
      method: 'PUT',
      url: '/api/admin/watches',
      headers: { ...auth, 'x-grafana-user': 'ada' },
      payload: {
        watches: [{ name: 'remote', queries: { up: 'up' }, source: { prometheus: 'http://127.0.0.1:9' } }],
      },
    });
    expect(put.statusCode).toBe(200);
    const audit = auditListSchema.parse(
      (await app.inject({ url: '/api/audit?kind=watches_changed', headers: auth })).json()
    );
    expect(audit.items).toEqual([
      expect.objectContaining({
        kind: 'watches_changed',
        user: 'ada',
        message: 'ada saved 1 watch: added remote',
        at: T,
      }),
    ]);
  });
});
