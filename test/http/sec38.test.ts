import { Writable } from 'node:stream';
import pino from 'pino';
import { Gauge, Registry } from 'prom-client';
import { auditListSchema } from '../../src/contract/healing';
import { LOGGED_PATH_LENGTH } from '../../src/server/http/requestLog';
import { buildServer, servedRoutes } from '../../src/server/http/server';
import { headerLine, rawSend } from '../harness/rawHttp';
import { ALERT_AUTH, API_TOKEN, AUTH, assembledApp, injectingApp, type AssembledApp } from '../harness/server';

// The HTTP surface as an attacker sees it: what the router answers before any route's hooks, the
// headers on every answer, the Grafana user a request names, and the public /metrics under a flood.

let backend: AssembledApp;
let port: number;

beforeAll(async () => {
  backend = await assembledApp();
  await backend.app.listen({ port: 0, host: '127.0.0.1' });
  port = (backend.app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await backend?.close();
});

/** A concrete path for a route's URL (its parameters filled). */
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, '1');

/**
 * Sends a request over a socket exactly as written (`head` holds its header lines, bytes and repeats
 * included, which `inject` cannot send) and reads the status and the body.
 */
const send = (method: string, path: string, head: Buffer[], body = '') => rawSend(port, method, path, head, body);

const bearer = headerLine(`Authorization: Bearer ${API_TOKEN}`);

describe('a path the router cannot read', () => {
  // find-my-way refuses these before any hook runs (Fastify's frameworkErrors): a broken %-escape, and a
  // parameter past maxParamLength, which only a route with an id has.
  const unreadable = [
    { method: 'GET', url: '/api/%zz', status: 400 },
    { method: 'GET', url: '/api/targets/%zz', status: 400 },
    { method: 'GET', url: `/api/targets/${'a'.repeat(9000)}`, status: 414 },
    { method: 'POST', url: `/api/actions/${'7'.repeat(9000)}/approve`, status: 414 },
    { method: 'PUT', url: `/api/admin/%E0%A4%A`, status: 400 },
  ] as const;

  it('answers 401 without the API token, like any other path, so a 414 cannot tell a route with an id is there', async () => {
    for (const { method, url } of unreadable) {
      for (const headers of [{}, ALERT_AUTH, { authorization: 'Bearer wrong-token-of-some-length' }]) {
        const answer = await backend.app.inject({ method, url, headers });
        expect([url.slice(0, 40), answer.statusCode, answer.headers['www-authenticate']]).toEqual([
          url.slice(0, 40),
          401,
          'Bearer realm="failureprophet"',
        ]);
      }
    }
  });

  it('answers with the token in the error shape of every route, without echoing the path back', async () => {
    for (const { method, url, status } of unreadable) {
      const answer = await backend.app.inject({ method, url, headers: AUTH });
      expect(answer.statusCode).toBe(status);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = answer.json();
      expect(Object.keys(body).sort()).toEqual(['error', 'message']);
      expect(body.error).toBe('bad_request');
      expect(answer.body.length).toBeLessThan(200);
      expect(answer.body).not.toContain(url.slice('/api/'.length, 15));
    }
  });
});

describe('X-Content-Type-Options', () => {
  it('is nosniff on every route, and on a 401, a 404, a 413 and an unreadable path', async () => {
    const { app } = backend;
    const answers = servedRoutes(app).map((route) => ({
      label: `${route.method} ${route.url}`,
      options: {
        method: route.method as 'GET' | 'PUT' | 'POST' | 'DELETE',
        url: concrete(route.url),
        headers: AUTH as Record<string, string>,
        ...(['POST', 'PUT', 'DELETE'].includes(route.method) ? { payload: {} } : {}),
      },
    }));
    answers.push(
      { label: 'no token', options: { method: 'GET', url: '/api/targets', headers: {} } },
      { label: 'no route', options: { method: 'GET', url: '/api/<b>nothing</b>', headers: AUTH } },
      {
        label: 'too large',
        options: {
          method: 'PUT',
          url: '/api/admin/kill-switch',
          headers: AUTH,
          payload: { reason: 'x'.repeat(2 << 20) },
        },
      },
      { label: 'unreadable', options: { method: 'GET', url: '/api/%zz', headers: AUTH } }
    );
    const without: string[] = [];
    for (const { label, options } of answers) {
      const answer = await app.inject(options);
      if (answer.headers['x-content-type-options'] !== 'nosniff') {
        without.push(`${label} -> ${answer.statusCode}`);
      }
    }
    expect(without).toEqual([]);
    expect(answers.length).toBeGreaterThan(40);
  });
});

describe('the Grafana user a request names', () => {
  const killSwitch = (engaged: boolean, user: Buffer[]) =>
    send('PUT', '/api/admin/kill-switch', [bearer, ...user], JSON.stringify({ engaged, reason: 'probe' }));

  it("records a login as Grafana sends it, in UTF-8 (Node reads a header's bytes as Latin-1)", async () => {
    const answer = await killSwitch(true, [headerLine('X-Grafana-User: Zoë Ångström-山田')]);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).changedBy).toBe('Zoë Ångström-山田');
    const audit = auditListSchema.parse(
      (await backend.app.inject({ url: '/api/audit?limit=10', headers: AUTH })).json()
    ).items;
    expect(audit[0].user).toBe('Zoë Ångström-山田');
    // Bytes that are not UTF-8 are read as the Latin-1 they are.
    const latin1 = await killSwitch(false, [Buffer.from('X-Grafana-User: Jos\xe9\r\n', 'latin1')]);
    expect(JSON.parse(latin1.body).changedBy).toBe('José');
  });

  it('refuses a request that names two users, changing nothing; one value with a comma is one user', async () => {
    const before = (await backend.app.inject({ url: '/api/kill-switch', headers: AUTH })).json();
    const two = await killSwitch(!before.engaged, [
      headerLine('X-Grafana-User: ada'),
      headerLine('x-grafana-user: admin'),
    ]);
    expect(two.status).toBe(400);
    expect(JSON.parse(two.body)).toMatchObject({ error: 'bad_request', field: 'headers.x-grafana-user' });
    expect((await backend.app.inject({ url: '/api/kill-switch', headers: AUTH })).json()).toEqual(before);

    const comma = await killSwitch(false, [headerLine('X-Grafana-User: ada, admin')]);
    expect(JSON.parse(comma.body).changedBy).toBe('ada, admin');
    const empty = await killSwitch(false, [headerLine('X-Grafana-User: ')]);
    expect(JSON.parse(empty.body).changedBy).toBe('(api token)');
  });

  it('does not refuse two copies on the alert token, which reads no user at all', async () => {
    const alerts = await send(
      'POST',
      '/api/alerts',
      [
        headerLine(`Authorization: ${ALERT_AUTH.authorization}`),
        headerLine('X-Grafana-User: a'),
        headerLine('X-Grafana-User: b'),
      ],
      JSON.stringify({ version: '4', status: 'firing', receiver: 'r', alerts: [] })
    );
    expect(alerts.status).toBe(200);
  });
});

describe('/metrics under a flood of scrapes', () => {
  it('renders once for the scrapes that arrive while a render runs, and each gets its text', async () => {
    const metrics = new Registry();
    let renders = 0;
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    new Gauge({
      name: 'probe_renders',
      help: 'how many renders read the store',
      registers: [metrics],
      async collect() {
        renders++;
        // A store read that takes a while (a PostgreSQL round trip).
        await held;
        this.set(renders);
      },
    });
    const app = await injectingApp({ store: { ping: () => undefined } as never, metrics }, []);
    try {
      const scrapes = 20;
      let arrived = 0;
      let allArrived = () => undefined as void;
      const arrivals = new Promise<void>((resolve) => (allArrived = resolve));
      app.addHook('preHandler', async (request) => {
        if (request.url === '/metrics' && ++arrived === scrapes) {
          allArrived();
        }
      });
      const answers = Array.from({ length: scrapes }, () => app.inject({ url: '/metrics' }));
      await arrivals;
      // The last handler starts in the microtasks after its hook: let them all run before the store answers.
      await new Promise<void>((resolve) => setImmediate(resolve));
      release();
      const bodies = (await Promise.all(answers)).map((a) => {
        expect(a.statusCode).toBe(200);
        return /probe_renders (\d+)/.exec(a.body)?.[1];
      });
      expect(renders).toBe(1);
      expect(new Set(bodies)).toEqual(new Set(['1']));
      // A scrape after the render ended renders again: no answer outlives its request.
      await app.inject({ url: '/metrics' });
      expect(renders).toBe(2);
    } finally {
      await app.close();
    }
  });
});

describe('the log line of a request refused without the token', () => {
  it('keeps a bounded part of a long path, once: a flood of 16 KiB paths does not write 16 KiB a line', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const app = await buildServer({
      logger: pino({ level: 'info' }, sink),
      apiToken: API_TOKEN,
      store: { ping: () => undefined } as never,
      metrics: new Registry(),
      version: 'test',
    });
    try {
      const path = `/api/${'a'.repeat(12_000)}`;
      expect((await app.inject({ url: `${path}?${'q'.repeat(2000)}` })).statusCode).toBe(401);
      expect(lines).toHaveLength(1);
      const entry = JSON.parse(lines[0]);
      expect(entry.url).toBe(`${path.slice(0, LOGGED_PATH_LENGTH)}… (${path.length} characters)`);
      expect(entry.msg).toBe(`GET ${entry.url} answered 401 in ${entry.ms} ms`);
      expect(lines[0].length).toBeLessThan(1000);
    } finally {
      await app.close();
    }
  });
});

describe('what already held (each found safe, kept so it stays so)', () => {
  it('takes no method from a header or the query: a GET, as a Viewer can have Grafana send, changes nothing', async () => {
    const { app } = backend;
    const before = (await app.inject({ url: '/api/kill-switch', headers: AUTH })).json();
    for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
      const answer = await app.inject({
        method: 'GET',
        url: '/api/admin/kill-switch?_method=PUT',
        headers: { ...AUTH, [header]: 'PUT', 'content-type': 'application/json' },
        payload: JSON.stringify({ engaged: !before.engaged, reason: 'probe' }),
      });
      expect(answer.statusCode).toBe(404);
    }
    expect((await app.inject({ url: '/api/kill-switch', headers: AUTH })).json()).toEqual(before);
  });

  it("does not reach POST /api/alerts through an Editor's proxy route, however the rest of the path is spelled", async () => {
    // An Editor's POST under api/actions/* (and the others) reaches the backend with the API token and the
    // rest of the path as the Editor wrote it: alerts from there could open triggers the Editor could not.
    for (const prefix of ['/api/actions', '/api/breakers', '/api/anomalies', '/api/models']) {
      for (const rest of [
        '../alerts',
        '%2e%2e/alerts',
        '..%2Falerts',
        'x/..;/../alerts',
        './../alerts',
        '..\\alerts',
      ]) {
        const answer = await send('POST', `${prefix}/${rest}`, [bearer], JSON.stringify({ version: '4', alerts: [] }));
        expect([`${prefix}/${rest}`, answer.status]).toEqual([`${prefix}/${rest}`, 404]);
      }
    }
  });
});
