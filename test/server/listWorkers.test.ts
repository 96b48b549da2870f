import { join } from 'node:path';
import pino from 'pino';
import { fillHealing, fillPipeline } from '../../bench/httpFill';
import { buildServer, type App } from '../../src/server/http/server';
import { ListWorkers } from '../../src/server/http/lists/pool';
import { createMetricsRegistry } from '../../src/server/metrics';
import { API_TOKEN, AUTH, assembledApp, type AssembledApp } from '../harness/server';

const ROWS = 300;
const T0 = Date.UTC(2025, 0, 1);
const WORKER = join(__dirname, '../../src/server/http/lists/worker.ts');

/** The same backend's routes served again with their list GETs read by worker threads. */
async function withWorkers(assembled: AssembledApp, workers: ListWorkers): Promise<App> {
  return buildServer({
    logger: pino({ level: 'silent' }),
    apiToken: API_TOKEN,
    store: assembled.store,
    metrics: createMetricsRegistry(),
    version: 'test',
    authenticatedRoutes: assembled.backend.routes,
    listWorkers: workers,
  });
}

describe('list pages read by worker threads', () => {
  let assembled: AssembledApp;
  let workers: ListWorkers;
  let app: App;

  beforeAll(async () => {
    assembled = await assembledApp();
    const { store } = assembled;
    await fillPipeline(store, ROWS, T0);
    await fillHealing(store, ROWS, T0);
    workers = new ListWorkers({
      script: { file: WORKER, typescript: true },
      database: store.db.name,
      workers: 2,
      maxQueued: 64,
    });
    app = await withWorkers(assembled, workers);
  });

  afterAll(async () => {
    await app?.close();
    await assembled?.close();
  });

  const get = (server: App, url: string) => server.inject({ method: 'GET', url, headers: AUTH });

  it.each([
    '/api/anomalies',
    '/api/anomalies?limit=7&state=open',
    '/api/anomalies?severity=high&watch=fleet-2&limit=20',
    '/api/anomalies?cursor=not-a-cursor',
    '/api/anomalies?limit=0',
    '/api/predictions?limit=25',
    '/api/predictions?watch=fleet-1',
    '/api/models',
    '/api/models?status=active&limit=3',
    '/api/actions',
    '/api/actions?state=awaiting_approval&limit=100',
    '/api/actions?state=rejected,verified&offset=40&limit=10',
    '/api/audit',
    '/api/audit?kind=verified&offset=5',
    '/api/audit?format=jsonl&kind=proposed',
  ])('answers %s as the route does', async (url) => {
    const read = jest.spyOn(workers, 'read');
    const [direct, offloaded] = [await get(assembled.app, url), await get(app, url)];
    // Every JSON list GET the route validated went to a worker; the exports stream from the route.
    expect(read).toHaveBeenCalledTimes(url.includes('format=jsonl') || url.includes('limit=0') ? 0 : 1);
    read.mockRestore();
    expect(offloaded.statusCode).toBe(direct.statusCode);
    expect(offloaded.headers['content-type']).toBe(direct.headers['content-type']);
    const body = (r: typeof direct) =>
      String(r.headers['content-type']).startsWith('application/json') ? r.json() : r.body.split('\n');
    expect(body(offloaded)).toEqual(body(direct));
  });

  it('follows the cursor to the same next page', async () => {
    const first = (await get(app, '/api/anomalies?limit=50')).json();
    expect(first.anomalies).toHaveLength(50);
    const url = `/api/anomalies?limit=50&cursor=${encodeURIComponent(first.next)}`;
    const [direct, offloaded] = [await get(assembled.app, url), await get(app, url)];
    expect(offloaded.json()).toEqual(direct.json());
    expect(offloaded.json().anomalies[0].id).toBeLessThan(first.anomalies[49].id);
  });
});
