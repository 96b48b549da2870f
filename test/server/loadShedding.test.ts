import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/server/config/load';
import { HealingEngine } from '../../src/server/healing';
import { adminRoutes } from '../../src/server/http/routes/admin';
import { policyRoutes } from '../../src/server/http/routes/policies';
import { buildServer, type App } from '../../src/server/http/server';
import { createLogger } from '../../src/server/logger';
import { createMetricsRegistry } from '../../src/server/metrics';
import { openSqliteDatabase, type SqliteStore } from '../../src/server/store/sqlite';
import { FakeClock } from '../kube/harness';

const TOKEN = 'test-token-0123456789abcdef';
const MAX = 2;

const silent = () => createLogger('error', new Writable({ write: (_c, _e, done) => done() }));

/** The real server on a loopback port over an in-memory store (or the test's), with the options a test turns on. */
async function startServer(
  options: Pick<
    Parameters<typeof buildServer>[0],
    'authenticatedRoutes' | 'maxConcurrentRequests' | 'maxEventLoopDelay' | 'loopDelay'
  >,
  store: SqliteStore = openSqliteDatabase(':memory:')
): Promise<{ store: SqliteStore; app: App; base: string }> {
  const app = await buildServer({
    logger: silent(),
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

/** `done` resolves once `tick` was called `n` times. */
function countdown(n: number) {
  let left = n;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    done,
    tick: () => {
      if (--left === 0) {
        resolve();
      }
    },
  };
}

const authorized = (base: string, path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init.headers } });

/**
 * Asks the slow route `MAX` times and resolves once all of them run in it (those requests stay held): fails
 * at once if one is answered first, as one refused for want of a slot would be.
 */
async function fillEverySlot(base: string, slow: ReturnType<typeof slowRoute>): Promise<Array<Promise<Response>>> {
  const arrived = slow.expect(MAX);
  const held = Array.from({ length: MAX }, () => authorized(base, '/api/slow'));
  const first = await Promise.race([arrived.then(() => 'all held'), ...held.map((r) => r.then((res) => res.status))]);
  expect(first).toBe('all held');
  return held;
}

/** A client that sends the headers of a POST and the start of its body, then nothing more. */
function partialUpload(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const head = [`POST ${path} HTTP/1.1`, 'Host: test', `Authorization: Bearer ${TOKEN}`];
      socket.write(
        [...head, 'Content-Type: application/json', 'Content-Length: 100000', '', '{"alerts": ['].join('\r\n')
      );
      resolve(socket);
    });
    socket.on('error', reject);
  });
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

describe('load shedding counts a request once its body has arrived', () => {
  let app: App | undefined;
  let store: SqliteStore | undefined;
  // Its gate opens once: one per test.
  let slow: ReturnType<typeof slowRoute>;
  beforeEach(() => {
    slow = slowRoute();
  });
  let dawdlers: Socket[] = [];
  afterEach(async () => {
    slow.release();
    // The server's close waits for requests still arriving.
    dawdlers.forEach((socket) => socket.destroy());
    await app?.close();
    store?.close();
  });

  it('leaves every slot free while clients send their bodies slowly, and frees none when they go', async () => {
    const reading = countdown(MAX);
    const closed = countdown(MAX);
    const uploads: FastifyPluginAsyncZod = async (scope) => {
      scope.post(
        '/api/upload',
        {
          // After every onRequest hook, the shedding's included, and before the body is read.
          preParsing: async (_request, reply, payload) => {
            reply.raw.once('close', closed.tick);
            reading.tick();
            return payload;
          },
        },
        async () => ({ ok: true })
      );
    };
    let base: string;
    ({ app, store, base } = await startServer({
      maxConcurrentRequests: MAX,
      authenticatedRoutes: [slow.plugin, uploads],
    }));
    const port = (app.server.address() as { port: number }).port;
    dawdlers = await Promise.all(Array.from({ length: MAX }, () => partialUpload(port, '/api/upload')));
    await reading.done;

    expect((await authorized(base, '/api/quick')).status).toBe(200);
    // A whole upload is counted and given back.
    const whole = await authorized(base, '/api/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(whole.status).toBe(200);

    // The slow clients give up: no slot comes back that they never took, so the limit still holds at MAX.
    dawdlers.forEach((socket) => socket.destroy());
    await closed.done;
    const held = await fillEverySlot(base, slow);
    expect((await authorized(base, '/api/quick')).status).toBe(503);
    slow.release();
    for (const res of await Promise.all(held)) {
      expect(res.status).toBe(200);
    }
  });

  it('takes no slot for a client gone before its request is counted', async () => {
    const waiting = countdown(1);
    const decided = countdown(1);
    const late: FastifyPluginAsyncZod = async (scope) => {
      scope.get(
        '/api/late',
        {
          // Holds the request before the shedding's preHandler until its client has gone.
          preValidation: async (_request, reply) => {
            waiting.tick();
            if (!reply.raw.closed) {
              await once(reply.raw, 'close');
            }
          },
          // Runs after the shedding's preHandler: it has counted the request or not.
          preHandler: async () => decided.tick(),
        },
        async () => ({ ok: true })
      );
    };
    let base: string;
    ({ app, store, base } = await startServer({
      maxConcurrentRequests: MAX,
      authenticatedRoutes: [slow.plugin, late],
    }));
    const aborter = new AbortController();
    const gone = authorized(base, '/api/late', { signal: aborter.signal });
    gone.catch(() => undefined);
    await waiting.done;
    aborter.abort();
    await decided.done;

    const held = await fillEverySlot(base, slow);
    expect((await authorized(base, '/api/quick')).status).toBe(503);
    slow.release();
    for (const res of await Promise.all(held)) {
      expect(res.status).toBe(200);
    }
  });
});

describe('the kill switch under load', () => {
  let app: App;
  let store: SqliteStore;
  let engine: HealingEngine;
  let base: string;
  const slow = slowRoute();

  beforeAll(async () => {
    store = openSqliteDatabase(':memory:');
    engine = await HealingEngine.open({ store, clock: new FakeClock(), logger: silent(), metrics: new Registry() });
    ({ app, base } = await startServer(
      { maxConcurrentRequests: MAX, authenticatedRoutes: [slow.plugin, policyRoutes(engine), adminRoutes(engine)] },
      store
    ));
  });

  afterAll(async () => {
    slow.release();
    await app?.close();
    await engine?.stop();
    store?.close();
  });

  it('is set and read while every slot is taken and the rest of the API is shed', async () => {
    const held = await fillEverySlot(base, slow);
    expect((await authorized(base, '/api/quick')).status).toBe(503);

    const set = await authorized(base, '/api/admin/kill-switch', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ engaged: true, reason: 'incident' }),
    });
    expect(set.status).toBe(200);
    const read = await authorized(base, '/api/kill-switch');
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ engaged: true, reason: 'incident' });
    // Only the kill switch: its neighbours are shed as any route.
    expect((await authorized(base, '/api/policies')).status).toBe(503);

    slow.release();
    for (const res of await Promise.all(held)) {
      expect(res.status).toBe(200);
    }
  });
});
