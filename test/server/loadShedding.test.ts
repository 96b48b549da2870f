import { Writable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { loadConfig } from '../../src/server/config/load';
import { buildServer, type App } from '../../src/server/http/server';
import { createLogger } from '../../src/server/logger';
import { createMetricsRegistry } from '../../src/server/metrics';
import { openSqliteDatabase, type SqliteStore } from '../../src/server/store/sqlite';

const TOKEN = 'test-token-0123456789abcdef';
const MAX = 2;

/** The real server on a loopback port over an in-memory store, with the options a test turns on. */
async function startServer(
  options: Pick<
    Parameters<typeof buildServer>[0],
    'authenticatedRoutes' | 'maxConcurrentRequests' | 'maxEventLoopDelay' | 'loopDelay'
  >
): Promise<{ store: SqliteStore; app: App; base: string }> {
  const store = openSqliteDatabase(':memory:');
  const app = await buildServer({
    logger: createLogger('error', new Writable({ write: (_c, _e, done) => done() })),
    apiToken: TOKEN,
    store,
    metrics: createMetricsRegistry(),
    version: '9.9.9',
    ...options,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { store, app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

/** A route double that holds each request until the test lets it go, and says when one has arrived. */
function slowRoute() {
  const arrived: Array<() => void> = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const waitFor = (n: number) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      arrived.push(() => {
        if (++seen === n) {
          resolve();
        }
      });
    });
  let entered: Promise<void> = Promise.resolve();
  return {
    expect(n: number) {
      entered = waitFor(n);
      return entered;
    },
    release: () => release(),
    plugin: (async (scope) => {
      scope.get('/api/slow', async () => {
        arrived.forEach((f) => f());
        await gate;
        return { ok: true };
      });
      scope.get('/api/quick', async () => ({ ok: true }));
    }) satisfies FastifyPluginAsyncZod,
  };
}

describe('load shedding', () => {
  it('takes its limit from FP_MAX_CONCURRENT_REQUESTS or server.maxConcurrentRequests, 64 by default', () => {
    expect(loadConfig({}).server.maxConcurrentRequests).toBe(64);
    expect(loadConfig({ FP_MAX_CONCURRENT_REQUESTS: '7' }).server.maxConcurrentRequests).toBe(7);
    expect(() => loadConfig({ FP_MAX_CONCURRENT_REQUESTS: '0' })).toThrow(/server.maxConcurrentRequests/);
  });

  it('takes its event-loop delay bound from FP_MAX_EVENT_LOOP_DELAY or server.maxEventLoopDelay, 200 ms by default', () => {
    expect(loadConfig({}).server.maxEventLoopDelay).toBe(200);
    expect(loadConfig({ FP_MAX_EVENT_LOOP_DELAY: '1s' }).server.maxEventLoopDelay).toBe(1000);
    expect(() => loadConfig({ FP_MAX_EVENT_LOOP_DELAY: '0ms' })).toThrow(/server.maxEventLoopDelay/);
    expect(() => loadConfig({ FP_MAX_EVENT_LOOP_DELAY: 'soon' })).toThrow(/server.maxEventLoopDelay/);
  });

  let app: App;
  let store: SqliteStore;
  let base: string;
  const slow = slowRoute();
  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}` } });

  beforeAll(async () => {
    ({ store, app, base } = await startServer({ maxConcurrentRequests: MAX, authenticatedRoutes: [slow.plugin] }));
  });

  afterAll(async () => {
    slow.release();
    await app?.close();
    store?.close();
  });

  it('answers 503 with Retry-After beyond the limit while the health routes answer, and frees a slot when a request ends or its client goes', async () => {
    // Two requests held in the slow route fill the limit; one more client gives up while held.
    const aborter = new AbortController();
    let arrived = slow.expect(MAX);
    const held = [
      get('/api/slow'),
      fetch(`${base}/api/slow`, { signal: aborter.signal, headers: { authorization: `Bearer ${TOKEN}` } }),
    ];
    held[1].catch(() => undefined);
    await arrived;

    const refused = await get('/api/quick');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'overloaded' });
    // Not even a route that would have answered at once runs, and unknown paths are shed likewise.
    expect((await get('/api/nothing-here')).status).toBe(503);

    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(`${base}${path}`);
      expect([200, 503]).toContain(res.status);
      expect(res.headers.get('retry-after')).toBeNull();
    }
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /failureprophet_http_requests_shed_total\{reason="concurrency"\} 2/
    );

    // The client that gave up frees its slot: one more request gets in (and is held in turn).
    arrived = slow.expect(1);
    aborter.abort();
    await expect(held[1]).rejects.toThrow();
    let admitted: Promise<Response> | undefined;
    for (let attempt = 0; attempt < 100 && admitted === undefined; attempt++) {
      const res = get('/api/slow');
      const first = await Promise.race([res.then((r) => r.status), arrived.then(() => 'in' as const)]);
      if (first === 'in') {
        admitted = res;
      } else {
        expect(first).toBe(503);
      }
    }
    expect(admitted).toBeDefined();

    slow.release();
    expect((await held[0]).status).toBe(200);
    expect((await admitted!).status).toBe(200);
    expect((await get('/api/quick')).status).toBe(200);
  });
});

describe('load shedding on event-loop delay', () => {
  let app: App;
  let store: SqliteStore;
  let base: string;
  // The delay source the server reads: the test says how far behind the loop is.
  let behind = 0;
  let handled = 0;
  const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

  beforeAll(async () => {
    ({ store, app, base } = await startServer({
      maxEventLoopDelay: 200,
      loopDelay: () => behind,
      authenticatedRoutes: [
        (async (scope) => {
          scope.get('/api/quick', async () => ({ handled: ++handled }));
        }) satisfies FastifyPluginAsyncZod,
      ],
    }));
  });

  afterAll(async () => {
    await app?.close();
    store?.close();
  });

  it('refuses API routes with 503 and Retry-After before running them while the loop is behind, keeps the health routes answering, and serves again once it catches up', async () => {
    behind = 200;
    expect((await get('/api/quick')).status).toBe(200);
    expect(handled).toBe(1);

    behind = 201;
    const refused = await get('/api/quick');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({
      error: 'overloaded',
      message: expect.stringMatching(/201 ms behind/),
    });
    expect((await get('/api/nothing-here')).status).toBe(503);
    // The handler never ran.
    expect(handled).toBe(1);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(`${base}${path}`);
      expect([200, 503]).toContain(res.status);
      expect(res.headers.get('retry-after')).toBeNull();
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /failureprophet_http_requests_shed_total\{reason="event_loop_delay"\} 2/
    );

    behind = 3;
    expect((await get('/api/quick')).status).toBe(200);
    expect(handled).toBe(2);
  });
});
