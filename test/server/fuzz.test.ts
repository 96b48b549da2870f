import fc from 'fast-check';
import { servedRoutes, type ServedRoute } from '../../src/server/http/server';
import { openPostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { startPostgres, type RunningPostgres } from '../harness/postgres';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { ALERT_AUTH, AUTH, assembledApp, assembledOn, type AssembledApp } from '../harness/server';

// Property: whatever arrives — any method, a real route's path mutated or encoded, any query
// string, with or without either token, any body, huge or malformed — the backend answers below
// 500 and nothing rejects unhandled. The backend is the real one (every route main wires, a real
// Prometheus for /readyz and the watch checks, no Kubernetes configured), called in process, on
// SQLite and on PostgreSQL (whose statements refuse what SQLite takes: U+0000, 1.5 for a BIGINT).

const RUNS = 10_000;
const SEED = 20_261_204;

/** Fewer on PostgreSQL: each request there is a few round trips to a real server. */
const PG_RUNS = 2_000;

let prom: RunningPrometheus;
let postgres: RunningPostgres | undefined;
let backend: AssembledApp;
let onPostgres: AssembledApp<Awaited<ReturnType<typeof openPostgresStore>>>;
let routes: readonly ServedRoute[];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  prom = await startPrometheus();
  postgres = await startPostgres();
  const config = { watches: [], prometheus: { url: prom.url } };
  backend = await assembledApp(config);
  const url = await postgres.createDatabase('fuzz');
  onPostgres = await assembledOn(
    () => openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 4 } }),
    config
  );
  routes = servedRoutes(backend.app);
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  try {
    await backend?.close();
    await onPostgres?.close();
  } finally {
    await postgres?.stop();
    await prom?.stop();
  }
}, 120_000);

// ---- what a request is made of ----

const segmentValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '99999999999999999999', '1e3', 'NaN', 'abc', '%00', '..', '%2F', '%', '%zz', ' '),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 8 }).map(encodeURIComponent),
  fc.nat().map(String)
);

const encodeSome = (path: string, picks: boolean[]) =>
  [...path]
    .map((c, i) => (/[a-z]/i.test(c) && picks[i % picks.length] ? `%${c.charCodeAt(0).toString(16)}` : c))
    .join('');

/** A real route's path, its parameters filled with anything, then perhaps spelled otherwise. */
const pathArb = fc
  .record({
    routeIndex: fc.nat(),
    values: fc.array(segmentValue, { minLength: 3, maxLength: 3 }),
    mutation: fc.oneof(
      { weight: 12, arbitrary: fc.constant('none') },
      { weight: 8, arbitrary: fc.constantFrom('encode', 'upper', 'trailing', 'double', 'dots', 'extra', 'cut') }
    ),
    picks: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
    extra: segmentValue,
  })
  .map(({ routeIndex, values, mutation, picks, extra }) => {
    const route = routes[routeIndex % routes.length];
    let i = 0;
    const path = route.url.replace(/:[A-Za-z]+/g, () => values[i++ % values.length]);
    return { routeMethod: route.method, path: spell(path, mutation, picks, extra) };
  });

function spell(path: string, mutation: string, picks: boolean[], extra: string): string {
  switch (mutation) {
    case 'encode':
      return encodeSome(path, picks);
    case 'upper':
      return path.toUpperCase();
    case 'trailing':
      return `${path}/`;
    case 'double':
      return path.replace('/', '//');
    case 'dots':
      return `/x/..${path}`;
    case 'extra':
      return `${path}/${extra}`;
    case 'cut':
      return path.slice(0, Math.max(1, path.lastIndexOf('/')));
    default:
      return path;
  }
}

const queryKeys = [
  'limit',
  'offset',
  'cursor',
  'state',
  'format',
  'from',
  'to',
  'target',
  'watch',
  'severity',
  'kind',
  'history',
  'actionId',
  'triggerId',
  'triggerTarget',
  'policy',
  'namespace',
  'user',
  'status',
];
const queryValue = fc.oneof(
  fc.constantFrom('', '0', '-1', '1', '500', '5001', '1e309', 'NaN', 'csv', 'json', 'ndjson', 'true', 'critical'),
  fc.constantFrom('1.5', '1e20', 'a\u0000b', '\u0000', '\\u0000'),
  fc.constantFrom('o1', 'n0', 'o999999999999999', 'n9007199254740993', '1001', '1000', '99999999999'),
  fc.constantFrom('awaiting_approval,blocked', 'approved,,', 'trigger_opened,approved', 'x'.repeat(3000)),
  fc.string({ maxLength: 20 })
);
const queryArb = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...queryKeys), fc.string({ maxLength: 6 })), queryValue), {
    maxLength: 4,
  })
  .map((pairs) =>
    pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : ''
  );

const watch = { name: 'w', queries: { up: 'up' }, step: '1m', history: '1h' };
const alert = {
  status: 'firing',
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'cart-1', severity: 'warning' },
  annotations: {},
};
/** Bodies each route accepts, to be broken a little by the fuzzer. */
const validBodies: unknown[] = [
  { engaged: true, reason: 'fuzz' },
  { engaged: false },
  { watches: [watch] },
  { watches: [] },
  { policies: [] },
  { mode: 'in-cluster' },
  { mode: 'endpoint', url: 'https://127.0.0.1:9' },
  { kind: 'false_positive', comment: 'no' },
  { kind: 'confirmed' },
  { watch: 'w' },
  { target: 'w{instance="a"}' },
  { comment: 'ok' },
  { version: '4', status: 'firing', alerts: [alert] },
  { version: '4', status: 'resolved', alerts: [{ ...alert, status: 'resolved' }] },
  { action: { type: 'notify', message: 'x' } },
  {
    action: {
      type: 'scale',
      target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
      delta: 1,
      ceiling: 10,
    },
  },
];

/** A valid body with one field replaced, removed or added (the schema-shaped bodies that break schemas). */
const shapedBody = fc
  .record({
    base: fc.constantFrom(...validBodies),
    keyIndex: fc.nat(),
    op: fc.constantFrom('keep', 'replace', 'remove', 'add'),
    value: fc.anything({ maxDepth: 2, maxKeys: 4 }),
    key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'prototype')),
  })
  .map(({ base, keyIndex, op, value, key }) => {
    const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    const keys = Object.keys(copy);
    const chosen = keys[keyIndex % keys.length];
    if (op === 'replace') {
      copy[chosen] = value;
    } else if (op === 'remove') {
      delete copy[chosen];
    } else if (op === 'add') {
      copy[key] = value;
    }
    return JSON.stringify(copy) ?? '{}';
  });

const HUGE = 'x'.repeat(1024 * 1024 + 10);
const HUGER = `{"alerts":["${'y'.repeat(5 * 1024 * 1024)}"]}`;

const bodyArb = fc.oneof(
  { weight: 5, arbitrary: shapedBody },
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '[1,2',
      'nul',
      '"str"',
      '0',
      '\u0000',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"admin":true}}}',
      '{"a":1,"a":2}',
      '[]',
      'null'
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom(HUGE, HUGER) },
  { weight: 2, arbitrary: fc.constant(undefined) }
);

const requestArb = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
  // Mostly the route's own method, so most requests reach a handler.
  useRouteMethod: fc.nat(9).map((n) => n < 7),
  target: pathArb,
  query: queryArb,
  auth: fc.constantFrom('api', 'api', 'api', 'api', 'api', 'alerts', 'none', 'wrong', 'basic'),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    undefined
  ),
  user: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  body: bodyArb,
});

type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

const authHeaders = (auth: FuzzRequest['auth']): Record<string, string> =>
  ({
    api: AUTH,
    alerts: ALERT_AUTH,
    none: {},
    wrong: { authorization: 'Bearer not-the-token-at-all' },
    basic: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
  })[auth];

async function generatedRequests(on: Pick<AssembledApp, 'app'>, runs: number): Promise<void> {
  const serverErrors: string[] = [];
  const refusedBodies: string[] = [];
  const counts = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requestArb, async (r) => {
      const { path, routeMethod } = r.target;
      const method = r.useRouteMethod ? routeMethod : r.method;
      const headers: Record<string, string> = { ...authHeaders(r.auth) };
      if (r.contentType && r.body !== undefined) {
        headers['content-type'] = r.contentType;
      }
      if (r.user !== undefined) {
        headers['x-grafana-user'] = r.user;
      }
      const response = await on.app.inject({
        method: method as 'GET',
        url: `${path}${r.query}`,
        headers,
        payload: ['GET', 'HEAD'].includes(method) ? undefined : r.body,
      });
      counts.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1);
      const what = `${method} ${path}${r.query.slice(0, 80)} auth=${r.auth} type=${r.contentType} body=${String(r.body).slice(0, 120)} -> ${response.statusCode} ${response.body.slice(0, 200)}`;
      if (response.statusCode >= 500) {
        serverErrors.push(what);
      }
      // With the API token, a body a route refuses is refused as the client's fault.
      if (r.auth === 'api' && response.statusCode >= 400 && ![400, 404, 409, 413, 415].includes(response.statusCode)) {
        refusedBodies.push(what);
      }
    }),
    { seed: SEED, numRuns: runs }
  );
  expect(serverErrors.slice(0, 20)).toEqual([]);
  expect(refusedBodies.slice(0, 20)).toEqual([]);
  expect(unhandled).toEqual([]);
  // The generator reaches handlers, not only the 401 in front of them.
  expect(counts.get(200) ?? 0).toBeGreaterThan(runs / 20);
  expect(counts.get(400) ?? 0).toBeGreaterThan(runs / 20);
  expect(counts.get(401) ?? 0).toBeGreaterThan(runs / 20);
  expect(counts.get(413) ?? 0).toBeGreaterThan(0);
  // And the backend still serves.
  expect((await on.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  expect((await on.app.inject({ url: '/api/targets', headers: AUTH })).statusCode).toBe(200);
}

describe('generated requests against every route', () => {
  it(
    '10,000 on SQLite never answer 5xx, and nothing rejects unhandled',
    () => generatedRequests(backend, RUNS),
    600_000
  );

  it(
    '2,000 on PostgreSQL never answer 5xx, and nothing rejects unhandled',
    () => generatedRequests(onPostgres, PG_RUNS),
    600_000
  );
});
