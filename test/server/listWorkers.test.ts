import { join } from 'node:path';
import pino from 'pino';
import { fillHealing, fillPipeline } from '../../bench/httpFill';
import { buildServer, type App } from '../../src/server/http/server';
import { loadConfig } from '../../src/server/config/load';
import type { Clock } from '../../src/server/clock';
import { ListWorkers } from '../../src/server/http/lists/pool';
import { LIST_WORKER_LIMITS } from '../../src/server/http/lists/script';
import { createMetricsRegistry } from '../../src/server/metrics';
import { modelVersion } from '../harness/anomalyRecords';
import { API_TOKEN, AUTH, assembledApp, type AssembledApp } from '../harness/server';

const ROWS = 300;
const T0 = Date.UTC(2025, 0, 1);
const WORKER = join(__dirname, '../../src/server/http/lists/worker.ts');
const FAULTY_WORKER = join(__dirname, 'faultyListWorker.ts');
const IDLE_MS = 30_000;

/** The clock's timers, run only when the test says so: no test here waits on real time. */
class ManualTimers implements Pick<Clock, 'after'> {
  private readonly due = new Map<number, { run: () => void; ms: number; unref: boolean }>();
  private nextHandle = 1;

  after(ms: number, run: () => void, options?: { unref?: boolean }): () => void {
    const handle = this.nextHandle++;
    this.due.set(handle, { run, ms, unref: options?.unref === true });
    return () => void this.due.delete(handle);
  }

  /** Whether every timer pending lets the process exit (as an idle worker's stop must). */
  get allUnref(): boolean {
    return [...this.due.values()].every((t) => t.unref);
  }

  /** The delays of the timers set and not yet cleared or run. */
  get pending(): number[] {
    return [...this.due.values()].map((t) => t.ms);
  }

  /** Runs every timer set so far, as if their time had come. */
  elapse(): void {
    const due = [...this.due.values()];
    this.due.clear();
    due.forEach((t) => t.run());
  }
}

/** The same backend's routes served again with their list GETs read by worker threads. */
async function withWorkers(
  assembled: AssembledApp,
  workers: ListWorkers,
  metrics = createMetricsRegistry()
): Promise<App> {
  return buildServer({
    logger: pino({ level: 'silent' }),
    apiToken: API_TOKEN,
    store: assembled.store,
    metrics,
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
      idleMs: IDLE_MS,
      resourceLimits: LIST_WORKER_LIMITS,
      clock: new ManualTimers(),
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
    '/api/actions?cursor=o40&limit=10',
    '/api/actions?state=awaiting_approval&cursor=n3',
    '/api/audit?cursor=o30&limit=7',
    '/api/audit?kind=proposed&cursor=n12',
    '/api/audit?target=fleet-1%7Bjob%3D%22a%22%7D',
    // Refused by the route before a worker is asked: past the deepest offset, a cursor no page gave.
    '/api/actions?offset=1001',
    '/api/audit?cursor=nope',
    '/api/audit?format=jsonl&kind=proposed',
    // An export's name percent-encoded is the same export to the route.
    '/api/audit?format=cs%76',
    '/api/audit?%66ormat=jsonl',
    '/api/audit?format=%6As%6fn',
  ])('answers %s as the route does', async (url) => {
    const read = jest.spyOn(workers, 'read');
    const [direct, offloaded] = [await get(assembled.app, url), await get(app, url)];
    // Every JSON list GET the route validated went to a worker; the exports stream from the route.
    const exported = /format=(jsonl|cs)/.test(decodeURIComponent(url));
    expect(read).toHaveBeenCalledTimes(exported || /limit=0|offset=1001|cursor=nope/.test(url) ? 0 : 1);
    read.mockRestore();
    expect(offloaded.statusCode).toBe(direct.statusCode);
    expect(offloaded.headers['content-type']).toBe(direct.headers['content-type']);
    const body = (r: typeof direct) =>
      String(r.headers['content-type']).startsWith('application/json') ? r.json() : r.body.split('\n');
    expect(body(offloaded)).toEqual(body(direct));
  });

  it('finds a non-ASCII target id in any case, as the route does (the worker folds case as the backend does)', async () => {
    const target = 'fleet-1{ville="ÉTÉ"}';
    await assembled.store.pipeline.addModel(modelVersion(target, { watch: 'fleet-1' }));
    for (const q of ['été', 'ÉTÉ']) {
      const url = `/api/models?q=${encodeURIComponent(q)}`;
      const [direct, offloaded] = [await get(assembled.app, url), await get(app, url)];
      expect(offloaded.statusCode).toBe(200);
      expect(offloaded.json()).toEqual(direct.json());
      expect(offloaded.json().models.map((m: { target: string }) => m.target)).toEqual([target]);
    }
  });

  it.each(['/api/anomalies', '/api/targets', '/api/actions', '/api/audit'])(
    'answers %s?cursor= (empty) with the first page, as Kubernetes reads an empty continue',
    async (route) => {
      const first = (await get(assembled.app, `${route}?limit=5`)).json();
      for (const server of [assembled.app, app]) {
        const empty = await get(server, `${route}?limit=5&cursor=`);
        expect(empty.statusCode).toBe(200);
        expect(empty.json()).toEqual(first);
      }
    }
  );

  it('follows the cursor to the same next page', async () => {
    const first = (await get(app, '/api/anomalies?limit=50')).json();
    expect(first.anomalies).toHaveLength(50);
    const url = `/api/anomalies?limit=50&cursor=${encodeURIComponent(first.next)}`;
    const [direct, offloaded] = [await get(assembled.app, url), await get(app, url)];
    expect(offloaded.json()).toEqual(direct.json());
    expect(offloaded.json().anomalies[0].id).toBeLessThan(first.anomalies[49].id);
  });

  it('answers a page asked again with what another connection committed since (the page cache never serves it stale)', async () => {
    const url = '/api/actions?state=awaiting_approval&limit=5';
    const first = (await get(app, url)).json();
    // Asked again with nothing committed: the same page (kept by the worker that read it).
    expect((await get(app, url)).json()).toEqual(first);
    const { id } = first.items[0];
    expect(
      await assembled.store.healing.actions.transition({
        id,
        from: ['awaiting_approval'],
        to: 'rejected',
        at: T0 + 1e9,
      })
    ).toBe(true);
    const after = (await get(app, url)).json();
    expect(after).toEqual((await get(assembled.app, url)).json());
    expect(after.items.map((a: { id: number }) => a.id)).not.toContain(id);
    expect(after.total).toBe(first.total - 1);
  });

  it('answers an action whose trigger was rewritten (its own row unchanged) with the new trigger', async () => {
    const url = '/api/actions?state=awaiting_approval&limit=3';
    const [action] = (await get(app, url)).json().items;
    const trigger = { ...action.trigger, severity: action.trigger.severity === 'low' ? 'critical' : 'low' };
    await assembled.store.healing.actions.openTrigger(trigger, T0 + 2e9, () => undefined);
    const after = (await get(app, url)).json();
    expect(after.items[0]).toEqual({ ...action, trigger });
    expect(after).toEqual((await get(assembled.app, url)).json());
  });

  describe('started when a page needs one, stopped when idle', () => {
    let timers: ManualTimers;
    let pool: ListWorkers;
    const stopped: string[] = [];

    beforeEach(() => {
      timers = new ManualTimers();
      stopped.length = 0;
      pool = new ListWorkers({
        script: { file: WORKER, typescript: true },
        database: assembled.store.db.name,
        workers: 2,
        maxQueued: 8,
        idleMs: IDLE_MS,
        resourceLimits: LIST_WORKER_LIMITS,
        clock: timers,
        onStopped: (why) => stopped.push(why),
      });
    });

    afterEach(async () => {
      await pool.close();
    });

    const page = async (query: string) => {
      const answer = await pool.read('/api/anomalies', query);
      expect(answer.status).toBe(200);
      return JSON.parse(answer.body) as { anomalies: Array<{ id: number }> };
    };

    it('starts no worker until the first page, and one for pages that do not overlap', async () => {
      expect(pool.running).toBe(0);
      expect((await page('limit=3')).anomalies).toHaveLength(3);
      expect(pool.running).toBe(1);
      await page('limit=4');
      await page('limit=5');
      // The idle worker read them: a second isolate is not started for pages one after another.
      expect(pool.running).toBe(1);
    });

    it('starts a second worker only for a page asked while the first is reading', async () => {
      const both = [page('limit=3'), page('limit=4')];
      expect(pool.running).toBe(2);
      expect((await Promise.all(both)).map((p) => p.anomalies.length)).toEqual([3, 4]);
    });

    it('stops a worker that stayed idle for idleMs, and starts a new one for the next page', async () => {
      await page('limit=3');
      expect(timers.pending).toEqual([IDLE_MS]);
      // The wait does not keep the process alive: a closing server does not wait for it.
      expect(timers.allUnref).toBe(true);
      timers.elapse();
      expect(pool.running).toBe(0);
      // Stopping an idle worker is not a fault: nothing is logged as stopped.
      expect(stopped).toEqual([]);
      const again = await page('limit=3');
      expect(again.anomalies).toHaveLength(3);
      expect(pool.running).toBe(1);
      expect(stopped).toEqual([]);
    });

    it('does not stop a worker that was given a page before its idle time came', async () => {
      await page('limit=3');
      expect(timers.pending).toEqual([IDLE_MS]);
      const reading = page('limit=4');
      // The page cleared the idle timer; none is due while the worker reads.
      expect(timers.pending).toEqual([]);
      timers.elapse();
      expect(pool.running).toBe(1);
      await reading;
      expect(timers.pending).toEqual([IDLE_MS]);
    });
  });
});

describe('list workers that fail', () => {
  let assembled: AssembledApp;
  let workers: ListWorkers;
  let app: App;
  let base: string;
  const metrics = createMetricsRegistry();
  const stopped: string[] = [];
  const MAX_QUEUED = 8;

  beforeAll(async () => {
    assembled = await assembledApp();
    await fillPipeline(assembled.store, ROWS, T0);
    await fillHealing(assembled.store, ROWS, T0);
    workers = new ListWorkers({
      script: { file: FAULTY_WORKER, typescript: true },
      database: assembled.store.db.name,
      workers: 1,
      maxQueued: MAX_QUEUED,
      idleMs: IDLE_MS,
      resourceLimits: LIST_WORKER_LIMITS,
      clock: new ManualTimers(),
      onStopped: (why) => stopped.push(why),
    });
    app = await withWorkers(assembled, workers, metrics);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await assembled?.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url, headers: AUTH });

  it('answers a stored row that does not fit with a 500 naming it, and the worker goes on serving', async () => {
    const newest = (await get('/api/anomalies?limit=1')).json().anomalies[0].id as number;
    assembled.store.db.prepare(`UPDATE anomalies SET severity = 'dire' WHERE id = ?`).run(newest);
    try {
      const refused = await get('/api/anomalies?limit=5');
      expect(refused.statusCode).toBe(500);
      // The worker's StoredRowError crosses the thread as a plain error with its name: the row is named all the same.
      expect(refused.json()).toEqual({
        error: 'stored_row_unreadable',
        message: `the store's anomalies row ${newest} is unreadable (column severity): mend or delete it; the backend log says what is wrong with it`,
      });
      const older = await get(`/api/anomalies?limit=5&to=${T0 + (ROWS - 10) * 30_000}`);
      expect(older.statusCode).toBe(200);
      expect(older.json().anomalies).toHaveLength(5);
      expect(stopped).toEqual([]);
    } finally {
      assembled.store.db.prepare(`UPDATE anomalies SET severity = 'high' WHERE id = ?`).run(newest);
    }
  });

  it('answers the page of a worker that crashed with 503 + Retry-After, and a new worker reads the next', async () => {
    const crashed = await get('/api/anomalies?crash=1');
    expect(crashed.statusCode).toBe(503);
    expect(crashed.headers['retry-after']).toBe('1');
    expect(crashed.json()).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/exit code 3/) });
    expect(stopped).toEqual(['exit code 3']);
    const next = await get('/api/predictions?limit=3');
    expect(next.statusCode).toBe(200);
    expect(next.json()).toEqual(
      (await assembled.app.inject({ method: 'GET', url: '/api/predictions?limit=3', headers: AUTH })).json()
    );
  });

  it('answers /healthz while every worker is held and the queue is full, and sheds the list requests beyond it', async () => {
    // One page holds the only worker for good, MAX_QUEUED wait behind it: the list work's backlog.
    const read = workers.read.bind(workers);
    let asked = 0;
    let backlogInPlace!: () => void;
    const inPlace = new Promise<void>((resolve) => (backlogInPlace = resolve));
    jest.spyOn(workers, 'read').mockImplementation((route, query) => {
      const page = read(route, query);
      if (++asked === 1 + MAX_QUEUED) {
        backlogInPlace();
      }
      return page;
    });
    const settled: boolean[] = [];
    const backlog = Array.from({ length: 1 + MAX_QUEUED }, (_, i) => {
      settled[i] = false;
      return fetch(`${base}/api/anomalies?hold=1`, { headers: AUTH }).then((r) => {
        settled[i] = true;
        return r.status;
      });
    });
    await inPlace;
    expect(workers.queued).toBe(MAX_QUEUED);
    // Beyond the backlog, a list request is refused at once.
    const shed = 20;
    for (let i = 0; i < shed; i++) {
      const r = await fetch(`${base}/api/models`, { headers: AUTH });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await r.json()).toMatchObject({
        error: 'overloaded',
        message: expect.stringMatching(/list pages waiting/),
      });
    }
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    // Liveness did not wait for the backlog: none of it has been answered.
    expect(settled.every((s) => !s)).toBe(true);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      new RegExp(`failureprophet_http_requests_shed_total\\{reason="list_queue"\\} ${shed}\\b`)
    );
    // Closing the server stops the held worker; what waited is answered, not lost.
    await app.close();
    expect(await Promise.all(backlog)).toEqual(Array(1 + MAX_QUEUED).fill(503));
  });
});

describe('list worker settings', () => {
  it('take server.listWorkers from FP_LIST_WORKERS (absent: one per core; 0: no workers) and server.listQueue from FP_LIST_QUEUE, 64 by default', () => {
    const defaults = loadConfig({}).server;
    expect(defaults.listWorkers).toBeUndefined();
    expect(defaults.listQueue).toBe(64);
    expect(loadConfig({ FP_LIST_WORKERS: '0', FP_LIST_QUEUE: '200' }).server).toMatchObject({
      listWorkers: 0,
      listQueue: 200,
    });
    expect(() => loadConfig({ FP_LIST_WORKERS: '-1' })).toThrow(/server.listWorkers \(from FP_LIST_WORKERS\)/);
    expect(() => loadConfig({ FP_LIST_QUEUE: 'many' })).toThrow(/server.listQueue \(from FP_LIST_QUEUE\)/);
  });
});
