import { servedRoutes, type ServedRoute } from '../../src/server/http/server';
import { rawRequest, type RawAnswer } from '../harness/rawHttp';
import { ALERT_AUTH, AUTH, assembledApp, type AssembledApp } from '../harness/server';

// Every route the real backend registers × the ways a request line can spell its path. Fastify's
// router decodes percent-encoding and reads absolute-form request lines, so each spelling below
// either reaches the route's handler or no route at all: without the API token, each must answer
// 401 (or 404 where it routes nowhere), never 2xx, 3xx or 5xx.

let backend: AssembledApp;
let port: number;

beforeAll(async () => {
  backend = await assembledApp();
  await backend.app.listen({ port: 0, host: '127.0.0.1' });
  port = (backend.app.server.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await backend?.close();
});

/** A concrete path for a route's URL (its parameters filled). */
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, '1');

const encodeLetter = (c: string) => `%${c.charCodeAt(0).toString(16)}`;
const encodeFirstLetters = (path: string) => path.replace(/\/([a-z])/g, (_m, c: string) => `/${encodeLetter(c)}`);
const encodeAllLetters = (path: string, upper: boolean) =>
  path.replace(/[a-z]/g, (c) => (upper ? encodeLetter(c).toUpperCase() : encodeLetter(c)));
const segments = (path: string) => path.split('/').filter(Boolean);

/** Spellings that route to the same handler as `path` (Fastify decodes them before matching). */
function routingSpellings(path: string): string[] {
  return [path, encodeFirstLetters(path), encodeAllLetters(path, false), encodeAllLetters(path, true), `${path}?x=1`];
}

/** Spellings that a lenient server could normalise to `path`; Fastify routes them nowhere. */
function otherSpellings(path: string): string[] {
  const parts = segments(path);
  const [first, ...rest] = parts;
  return [
    `/${parts.join('%2F')}`,
    `/${parts.join('%2f')}`,
    `/${first}%2F${rest.join('/')}`,
    `/${path}`,
    `/${first}//${rest.join('/')}`,
    `${path}/`,
    `/${first}/./${rest.join('/')}`,
    `/x/../${parts.join('/')}`,
    `/${first}/%2e%2e/${first}/${rest.join('/')}`,
    `/${first}/..%2F${first}/${rest.join('/')}`,
    path.toUpperCase(),
    `/${first.toUpperCase()}/${rest.join('/')}`,
    `${path};x=1`,
    `${path}%00`,
    `${path}%20`,
  ];
}

/** Every distinct spelling of `path`, those that route first. */
const spellings = (path: string) => [...new Set([...routingSpellings(path), ...otherSpellings(path)])];

/** Runs `work` over `items`, a few at a time (sockets, not the machine, are the limit). */
async function inPool<T>(items: T[], work: (item: T) => Promise<void>, size = 8): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      await work(items[next++]);
    }
  };
  await Promise.all(Array.from({ length: size }, worker));
}

/** Sends one request line as written, over a socket, and reads the status line and headers. */
function raw(method: string, target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? '{}' : '';
  const lines = [
    `${method} ${target} HTTP/1.1`,
    'Host: backend',
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ...(body ? ['Content-Type: application/json', `Content-Length: ${body.length}`] : []),
  ];
  return rawRequest(port, `${lines.join('\r\n')}\r\n\r\n${body}`);
}

const methodsFor = (route: ServedRoute) => [route.method, 'OPTIONS', 'PATCH'];

describe('who may call which route', () => {
  let routes: readonly ServedRoute[];
  beforeAll(() => {
    routes = servedRoutes(backend.app);
  });

  it('reads a route table that holds every part of the backend, and only health, readiness and metrics are public', () => {
    const names = routes.map((r) => `${r.method} ${r.url}`);
    // One route of each part main wires, so a part missing from the table fails here.
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /api/targets',
        'GET /predict',
        'HEAD /predict',
        'PUT /api/admin/watches',
        'PUT /api/admin/kill-switch',
        'POST /api/actions/:id/approve',
        'GET /api/audit',
        'PUT /api/admin/kubernetes',
        'POST /api/alerts',
      ])
    );
    expect(
      routes
        .filter((r) => r.access === 'public')
        .map((r) => `${r.method} ${r.url}`)
        .sort()
    ).toEqual(['GET /healthz', 'GET /metrics', 'GET /readyz', 'HEAD /healthz', 'HEAD /metrics', 'HEAD /readyz']);
    expect(routes.filter((r) => r.access === 'alerts').map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/alerts',
    ]);
  });

  it('answers 401 without a token for every route × every spelling of its path × its method, HEAD, OPTIONS and PATCH', async () => {
    const wrongToken: Record<string, string> = { authorization: 'Bearer wrong-token-of-some-length' };
    const requests = routes
      .filter((r) => r.access !== 'public')
      .flatMap((route) => {
        const path = concrete(route.url);
        return spellings(path).flatMap((target) =>
          methodsFor(route).flatMap((method) => [
            { method, target, headers: {} },
            // A wrong token only where the spelling reaches a handler; elsewhere it would change nothing.
            ...(routingSpellings(path).includes(target) ? [{ method, target, headers: wrongToken }] : []),
          ])
        );
      });
    const wrong: string[] = [];
    await inPool(requests, async ({ method, target, headers }) => {
      const answer = await raw(method, target, headers);
      if (answer.status !== 401 || !/www-authenticate: Bearer/i.test(answer.headers)) {
        wrong.push(`${method} ${target}${'authorization' in headers ? ' (wrong token)' : ''} -> ${answer.status}`);
      }
    });
    expect(wrong).toEqual([]);
    expect(requests.length).toBeGreaterThan(1000);
  }, 300_000);

  it('answers 401 to absolute-form request lines without a token, however the host and path are spelled', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const path = concrete(route.url);
      for (const target of [
        `http://backend${path}`,
        `http://backend:3001${encodeFirstLetters(path)}`,
        `HTTP://BACKEND${encodeAllLetters(path, true)}`,
        `https://user:pw@backend${path}?x=1`,
        `http://backend//${segments(path).join('/')}`,
      ]) {
        const answer = await raw(route.method, target);
        if (answer.status !== 401) {
          wrong.push(`${route.method} ${target} -> ${answer.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('reaches each route with the API token through the spellings that route (the spellings above are not all dead ends)', async () => {
    const unreached: string[] = [];
    for (const route of routes.filter((r) => r.access !== 'public' && ['GET', 'HEAD'].includes(r.method))) {
      for (const target of [encodeFirstLetters(concrete(route.url)), `http://backend${concrete(route.url)}`]) {
        const answer = await raw(route.method, target, AUTH);
        // 404 here is a handler's "no such id" (its body says so), not "no route".
        if (answer.status === 401 || answer.status >= 500) {
          unreached.push(`${route.method} ${target} -> ${answer.status}`);
        }
      }
    }
    expect(unreached).toEqual([]);
    const killSwitch = await raw('GET', '/%61pi/kill-switch', AUTH);
    expect(killSwitch.status).toBe(200);
  }, 120_000);

  it('lets the alert-intake token post alerts and nothing else, whatever the spelling', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => r.access === 'api')) {
      const path = concrete(route.url);
      for (const target of [path, encodeFirstLetters(path), `http://backend${path}`]) {
        const answer = await raw(route.method, target, ALERT_AUTH);
        if (answer.status !== 401) {
          wrong.push(`${route.method} ${target} -> ${answer.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    for (const target of ['/api/alerts', '/%61pi/alerts', 'http://backend/api/alerts']) {
      // Reaches the handler: `{}` is not an Alertmanager payload, so the schema refuses it.
      expect((await raw('POST', target, ALERT_AUTH)).status).toBe(400);
      expect((await raw('POST', target)).status).toBe(401);
    }
  }, 120_000);

  it("does not reach an admin route through the path of an Editor's or a Viewer's proxy route, with the API token", async () => {
    // Grafana's plugin proxy matches a route (api/actions/* for Editors' POSTs, api/* for Viewers' GETs)
    // and appends the rest of the path to that route's URL without resolving dot segments, adding the
    // API token: each spelling below is what an Editor or a Viewer could have it send, and none may
    // route to /api/admin/... (only Admins' routes lead there).
    const editorPrefixes = ['/api/actions', '/api/breakers', '/api/anomalies', '/api/models', '/api'];
    const adminRoutes = routes.filter((r) => r.url.startsWith('/api/admin/') && r.method !== 'HEAD');
    expect(adminRoutes.length).toBeGreaterThan(5);
    const reached: string[] = [];
    for (const route of adminRoutes) {
      const rest = concrete(route.url).slice('/api/admin/'.length);
      const escaped = rest.replace(/\//g, '%2F');
      for (const prefix of editorPrefixes) {
        for (const target of [
          `${prefix}/../admin/${rest}`,
          `${prefix}/x/../../admin/${rest}`,
          `${prefix}/%2e%2e/admin/${rest}`,
          `${prefix}/.%2E/admin/${rest}`,
          `${prefix}/..%2Fadmin%2F${escaped}`,
          `${prefix}/%2E%2E%2Fadmin%2F${escaped}`,
          `${prefix}/..%5Cadmin%5C${escaped}`,
          `${prefix}/..;/admin/${rest}`,
          `${prefix}/./../admin/${rest}`,
        ]) {
          for (const method of [route.method, 'GET', 'POST']) {
            // 404: no route. 400 on the path's parameters: a route of that prefix (GET /api/actions/:id)
            // refusing the rest as an id, i.e. not an admin route.
            const answer = await raw(method, target, AUTH);
            if (answer.status !== 404 && !(answer.status === 400 && answer.body.includes('"field":"params.'))) {
              reached.push(`${method} ${target} -> ${answer.status} ${answer.body.slice(0, 80)}`);
            }
          }
        }
      }
    }
    expect(reached).toEqual([]);
    expect((await backend.app.inject({ url: '/api/kill-switch', headers: AUTH })).json().engaged).toBe(false);
  }, 120_000);

  it('does not run the kill-switch handler for an encoded path without a token (the reported bypass)', async () => {
    const { app } = backend;
    const put = await app.inject({
      method: 'PUT',
      url: '/%61pi/admin/kill-switch',
      payload: { engaged: true, reason: 'probe' },
    });
    expect(put.statusCode).toBe(401);
    expect((await app.inject({ url: '/api/kill-switch', headers: AUTH })).json().engaged).toBe(false);
    expect((await app.inject({ url: '/%61pi/audit' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/predic%74?target=x' })).statusCode).toBe(401);
  });
});
