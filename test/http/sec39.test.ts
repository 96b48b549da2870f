import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Gauge, Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { readinessSchema } from '../../src/contract/health';
import { auditListSchema } from '../../src/contract/healing';
import type { WatchStatus } from '../../src/contract/pipeline';
import { messageOf } from '../../src/utils/messageOf';
import { ConfigError, loadConfig } from '../../src/server/config/load';
import { buildServer, servedRoutes, type App, type ServerDeps } from '../../src/server/http/server';
import { headerLine, rawSend } from '../harness/rawHttp';
import { reportedWatch } from '../harness/reportedWatch';
import { ALERT_AUTH, ALERT_TOKEN, API_TOKEN, AUTH, assembledApp, type AssembledApp } from '../harness/server';

// What last stop's attacker's review (sec38) left open: /readyz naming watches to anyone, a /metrics that could
// not be protected, a Grafana user that can disguise itself, and settings that took any integer up to 2^53.

const fine = { ping: async () => undefined };

const watch = (name: string, lastError: WatchStatus['lastError']) => reportedWatch(name, lastError);

/** The HTTP server alone, silent, with the test's own parts. */
const server = (deps: Partial<ServerDeps>): Promise<App> =>
  buildServer({
    logger: pino({ level: 'silent' }),
    apiToken: API_TOKEN,
    alertToken: ALERT_TOKEN,
    store: fine as never,
    metrics: new Registry(),
    version: 'test',
    ...deps,
  });

const configError = (load: () => unknown): string => {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return messageOf(err);
  }
  throw new Error('the configuration loaded');
};

describe('/readyz', () => {
  const watches = [
    watch('payments-eu', {
      kind: 'timeout',
      message: 'Prometheus at http://prometheus.internal:9090 did not answer',
      at: 1,
    }),
    watch('nodes', null),
    watch('customer-acme', { kind: 'query', message: 'bad_data: parse error', at: 1 }),
  ];

  it('counts the degraded watches without naming them unless the API token comes with the probe', async () => {
    const app = await server({ prometheus: fine, watchStatus: () => watches });
    try {
      for (const headers of [{}, ALERT_AUTH, { authorization: 'Bearer a-wrong-token-of-its-length' }]) {
        const answer = await app.inject({ url: '/readyz', headers });
        // Never refused: a probe needs no token, and gets the status code it reads.
        expect(answer.statusCode).toBe(200);
        expect(answer.json()).toEqual({
          status: 'ready',
          checks: { store: { ok: true }, prometheus: { ok: true } },
          degradedWatchCount: 2,
        });
        expect(answer.body).not.toMatch(/payments|acme|nodes/);
      }
      const withToken = await app.inject({ url: '/readyz', headers: AUTH });
      expect(withToken.statusCode).toBe(200);
      expect(withToken.json()).toEqual({
        status: 'ready',
        checks: { store: { ok: true }, prometheus: { ok: true } },
        degradedWatchCount: 2,
        degradedWatches: [
          { name: 'payments-eu', reason: 'its data source does not answer in time' },
          { name: 'customer-acme', reason: 'its data source refuses a query' },
        ],
      });
      // The app reads both answers with the contract: without the token, the names are absent, not "none".
      expect(readinessSchema.parse(withToken.json()).degradedWatches).toHaveLength(2);
      const anonymous = readinessSchema.parse((await app.inject({ url: '/readyz' })).json());
      expect([anonymous.degradedWatchCount, anonymous.degradedWatches]).toEqual([2, undefined]);
    } finally {
      await app.close();
    }
  });

  it('answers a failing check with 503 and its fixed phrase to anyone, still without the names', async () => {
    const down = { ping: () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const app = await server({ prometheus: down, watchStatus: () => watches });
    try {
      const answer = await app.inject({ url: '/readyz' });
      expect(answer.statusCode).toBe(503);
      expect(answer.json()).toEqual({
        status: 'not_ready',
        checks: { store: { ok: true }, prometheus: { ok: false, message: 'prometheus does not answer (error)' } },
        degradedWatchCount: 2,
      });
      expect((await app.inject({ url: '/readyz?exclude=prometheus', headers: AUTH })).json()).toMatchObject({
        status: 'ready',
        degradedWatches: [{ name: 'payments-eu' }, { name: 'customer-acme' }],
      });
    } finally {
      await app.close();
    }
  });
});

describe('/metrics behind metrics.requireAuth', () => {
  const USER = 'prometheus';
  const PASSWORD = 'a-scrape-password-of-its-own';
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });
  const registry = () => {
    const metrics = new Registry();
    new Gauge({
      name: 'failureprophet_probe',
      help: 'a series naming a watch',
      labelNames: ['watch'],
      registers: [metrics],
    })
      .labels('payments-eu')
      .set(1);
    return metrics;
  };

  it('stays public by default, so existing scrapes keep working', async () => {
    const config = loadConfig({});
    expect(config.metrics).toEqual({ requireAuth: false });
    const app = await server({ metrics: registry(), metricsAccess: config.metrics });
    try {
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
      // And protecting it is a setting the environment can hold: FP_METRICS_REQUIRE_AUTH.
      expect(loadConfig({ FP_METRICS_REQUIRE_AUTH: 'true' }).metrics).toEqual({ requireAuth: true });
    } finally {
      await app.close();
    }
  });

  it("takes the API token (a scrape_config's authorization) or the basic-auth pair (its basic_auth), nothing else", async () => {
    const config = loadConfig({
      FP_METRICS_REQUIRE_AUTH: 'true',
      FP_METRICS_BASIC_AUTH_USERNAME: USER,
      FP_METRICS_BASIC_AUTH_PASSWORD: PASSWORD,
    });
    expect(config.metrics).toEqual({ requireAuth: true, basicAuth: { username: USER, password: PASSWORD } });
    const app = await server({ metrics: registry(), metricsAccess: config.metrics });
    try {
      for (const headers of [AUTH, basic(USER, PASSWORD)]) {
        const answer = await app.inject({ url: '/metrics', headers });
        expect(answer.statusCode).toBe(200);
        expect(answer.body).toContain('failureprophet_probe{watch="payments-eu"} 1');
      }
      for (const headers of [
        {},
        ALERT_AUTH,
        basic(USER, `${PASSWORD}x`),
        basic('grafana', PASSWORD),
        basic(USER, API_TOKEN),
        basic(`${USER}:${PASSWORD}`, ''),
        { authorization: `Bearer ${PASSWORD}` },
        { authorization: `Basic ${USER}:${PASSWORD}` },
      ]) {
        const answer = await app.inject({ url: '/metrics', headers });
        expect([headers, answer.statusCode]).toEqual([headers, 401]);
        expect(answer.body).not.toContain('payments-eu');
        // Both challenges, so a client can tell what it may send.
        expect(answer.headers['www-authenticate']).toEqual([
          'Bearer realm="failureprophet"',
          'Basic realm="failureprophet", charset="UTF-8"',
        ]);
      }
      expect(servedRoutes(app).filter((r) => r.url === '/metrics')).toEqual([
        { method: 'GET', url: '/metrics', access: 'scrape' },
        { method: 'HEAD', url: '/metrics', access: 'scrape' },
      ]);
      // The scrape credentials open nothing else.
      expect((await app.inject({ url: '/api/nothing', headers: basic(USER, PASSWORD) })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('asks for the API token alone when no basic-auth pair is configured', async () => {
    const app = await server({ metrics: registry(), metricsAccess: { requireAuth: true } });
    try {
      expect((await app.inject({ url: '/metrics', headers: AUTH })).statusCode).toBe(200);
      const refused = await app.inject({ url: '/metrics', headers: basic(USER, PASSWORD) });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="failureprophet"');
    } finally {
      await app.close();
    }
  });

  it('refuses credentials that would protect nothing, a word that is not true or false, and a short password', () => {
    expect(
      configError(() => loadConfig({ FP_METRICS_BASIC_AUTH_USERNAME: USER, FP_METRICS_BASIC_AUTH_PASSWORD: PASSWORD }))
    ).toBe(
      'invalid configuration:\n  - metrics.requireAuth: must be true when metrics.basicAuth is set (FP_METRICS_REQUIRE_AUTH=true), or /metrics stays public'
    );
    expect(configError(() => loadConfig({ FP_METRICS_REQUIRE_AUTH: 'yes' }))).toBe(
      'invalid configuration:\n  - metrics.requireAuth (from FP_METRICS_REQUIRE_AUTH): must be true or false'
    );
    const short = configError(() =>
      loadConfig({
        FP_METRICS_REQUIRE_AUTH: 'TRUE',
        FP_METRICS_BASIC_AUTH_USERNAME: 'a:b',
        FP_METRICS_BASIC_AUTH_PASSWORD: 'short',
      })
    );
    expect(short).toContain(
      'metrics.basicAuth.username (from FP_METRICS_BASIC_AUTH_USERNAME): must not hold a colon (basic auth ends the user at the first one)'
    );
    expect(short).toContain('metrics.basicAuth.password (from FP_METRICS_BASIC_AUTH_PASSWORD): at least 16 characters');
    expect(short).not.toContain('short"');
  });
});

describe('a Grafana user that would read as another', () => {
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

  /** PUT /api/admin/kill-switch as Grafana's proxy sends it, the user header's bytes as given. */
  const killSwitch = (engaged: boolean, user: Buffer) =>
    rawSend(
      port,
      'PUT',
      '/api/admin/kill-switch',
      [
        headerLine(`Authorization: Bearer ${API_TOKEN}`),
        Buffer.concat([Buffer.from('X-Grafana-User: '), user, headerLine('')]),
      ],
      JSON.stringify({ engaged, reason: 'probe' })
    );

  const audit = async () =>
    auditListSchema.parse((await backend.app.inject({ url: '/api/audit?limit=50', headers: AUTH })).json()).items;

  it.each([
    ['a right-to-left override (UTF-8, as Grafana sends a login)', Buffer.from('admin\u202Enimda', 'utf8'), 'U+202E'],
    ['a left-to-right embedding', Buffer.from('\u202Aada', 'utf8'), 'U+202A'],
    ['a first-strong isolate', Buffer.from('ada\u2068bob\u2069', 'utf8'), 'U+2068'],
    ['a right-to-left mark', Buffer.from('ada\u200F', 'utf8'), 'U+200F'],
    ['a C1 control sent as UTF-8', Buffer.from('ada\u0085bob', 'utf8'), 'U+0085'],
    ['a C1 control byte that is not UTF-8 (read as Latin-1)', Buffer.from('ada\x9bbob', 'latin1'), 'U+009B'],
    ['a tab, the one C0 control a header value may carry', Buffer.from('ada\tbob', 'latin1'), 'U+0009'],
  ])('refuses %s with 400 naming the character, recording nothing', async (_what, user, codePoint) => {
    const before = (await backend.app.inject({ url: '/api/kill-switch', headers: AUTH })).json();
    const entries = (await audit()).length;
    const answer = await killSwitch(!before.engaged, user);
    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({ error: 'bad_request', field: 'headers.x-grafana-user' });
    expect(body.message).toBe(
      `headers.x-grafana-user: holds ${codePoint}, a control or bidirectional character that could make the recorded user read as another; a Grafana login with it cannot be recorded`
    );
    expect((await backend.app.inject({ url: '/api/kill-switch', headers: AUTH })).json()).toEqual(before);
    expect(await audit()).toHaveLength(entries);
  });

  it('records a login written right to left, which needs no control character, and refuses it with an embedding', async () => {
    const answer = await killSwitch(true, Buffer.from('דוד כהן', 'utf8'));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).changedBy).toBe('דוד כהן');
    expect((await audit())[0].user).toBe('דוד כהן');
    expect((await killSwitch(false, Buffer.from('\u202Bדוד כהן\u202C', 'utf8'))).status).toBe(400);
    expect((await killSwitch(false, Buffer.from('ada'))).status).toBe(200);
  });
});

describe('integer settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-sec39-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string) => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, text);
    return path;
  };

  it('refuses a count near 2^53 from the environment, naming the setting, its variable and the bound', () => {
    const huge = String(Number.MAX_SAFE_INTEGER);
    expect(
      configError(() =>
        loadConfig({
          FP_MAX_CONCURRENT_REQUESTS: huge,
          FP_LIST_QUEUE: huge,
          FP_MAX_TARGET_SERIES: huge,
          FP_DETECTION_RETENTION_DAYS: huge,
          FP_HEALING_RETENTION_DAYS: '3651',
          FP_MAX_EVENT_LOOP_DELAY: '104249991374d',
        })
      ).split('\n')
    ).toEqual([
      'invalid configuration:',
      '  - server.maxConcurrentRequests (from FP_MAX_CONCURRENT_REQUESTS): must be at most 10000',
      '  - server.maxEventLoopDelay (from FP_MAX_EVENT_LOOP_DELAY): must be at most 1d (86400000 ms)',
      '  - server.listQueue (from FP_LIST_QUEUE): must be at most 10000',
      '  - pipeline.maxTargetSeries (from FP_MAX_TARGET_SERIES): must be at most 1000000',
      '  - pipeline.retentionDays (from FP_DETECTION_RETENTION_DAYS): must be at most 3650 days (ten years); 0 keeps everything',
      '  - healing.retentionDays (from FP_HEALING_RETENTION_DAYS): must be at most 3650 days (ten years); 0 keeps everything',
    ]);
  });

  it('refuses a timer past what Node can wait and a span past a year in the file, naming each', () => {
    const path = file(
      [
        'prometheus: { timeout: 9007199254740991 }',
        'alertmanager: { timeout: 25d }',
        'pipeline: { staleAfter: 366d, predictionHorizon: 999999999999999999999y }',
        'healing: { tickInterval: 2147483648 }',
        'coordination: { leaseDuration: 2d, renewInterval: 90000000 }',
      ].join('\n')
    );
    expect(configError(() => loadConfig({ FP_CONFIG: path })).split('\n')).toEqual([
      'invalid configuration:',
      `  - prometheus.timeout (in ${path}): must be at most 1d (86400000 ms)`,
      `  - pipeline.staleAfter (in ${path}): must be at most 1y (31536000000 ms)`,
      `  - pipeline.predictionHorizon (in ${path}): must be at most 1y (31536000000 ms)`,
      `  - healing.tickInterval (in ${path}): must be at most 1d (86400000 ms)`,
      `  - alertmanager.timeout (in ${path}): must be at most 1d (86400000 ms)`,
      `  - coordination.leaseDuration (in ${path}): must be at most 1d (86400000 ms)`,
      `  - coordination.renewInterval (in ${path}): must be at most 1d (86400000 ms)`,
    ]);
  });

  it('loads every value at its bound and refuses one past it, and loads the shipped configurations as they are', () => {
    const lines = (past: number) => [
      `server: { maxConcurrentRequests: ${10_000 + past}, listQueue: ${10_000 + past}, maxEventLoopDelay: ${86_400_000 + past} }`,
      `prometheus: { timeout: ${86_400_000 + past} }`,
      `pipeline: { staleAfter: ${31_536_000_000 + past}, maxTargetSeries: ${1_000_000 + past}, retentionDays: ${3650 + past} }`,
      `healing: { tickInterval: ${86_400_000 + past}, retentionDays: ${3650 + past} }`,
      `alertmanager: { timeout: ${86_400_000 + past} }`,
    ];
    expect(loadConfig({ FP_CONFIG: file(lines(0).join('\n')) }).pipeline.staleAfter).toBe(31_536_000_000);
    const atWords = loadConfig({
      FP_CONFIG: file(
        'coordination: { leaseDuration: 1d, renewInterval: 12h }\nprometheus: { timeout: 24h }\npipeline: { staleAfter: 365d }'
      ),
    });
    expect(atWords.coordination.renewDeadline).toBe(64_800_000);
    const past = configError(() => loadConfig({ FP_CONFIG: file(lines(1).join('\n')) })).split('\n');
    expect(past.map((line) => line.replace(/ \(in .*?\)/, ''))).toEqual([
      'invalid configuration:',
      '  - server.maxConcurrentRequests: must be at most 10000',
      '  - server.maxEventLoopDelay: must be at most 1d (86400000 ms)',
      '  - server.listQueue: must be at most 10000',
      '  - prometheus.timeout: must be at most 1d (86400000 ms)',
      '  - pipeline.staleAfter: must be at most 1y (31536000000 ms)',
      '  - pipeline.maxTargetSeries: must be at most 1000000',
      '  - pipeline.retentionDays: must be at most 3650 days (ten years); 0 keeps everything',
      '  - healing.tickInterval: must be at most 1d (86400000 ms)',
      '  - healing.retentionDays: must be at most 3650 days (ten years); 0 keeps everything',
      '  - alertmanager.timeout: must be at most 1d (86400000 ms)',
    ]);

    const repo = join(__dirname, '../..');
    const deployed = parseYaml(readFileSync(join(repo, 'deploy/config.yaml'), 'utf8')).data['config.yaml'];
    expect(loadConfig({ FP_CONFIG: file(deployed) }).prometheus.url).toBe(
      'http://prometheus-operated.monitoring.svc:9090'
    );
    expect(loadConfig({ FP_CONFIG: join(repo, 'compose/watches.yaml') }).watches?.length).toBeGreaterThan(0);
    // The compose backend's environment, with what it leaves to the shell filled in.
    const compose = parseYaml(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'));
    const env: Record<string, string> = Object.fromEntries(
      Object.entries(compose.services.backend.environment as Record<string, string>)
        .filter(([name]) => name !== 'FP_CONFIG' && name !== 'FP_GRAFANA_TOKEN_FILE')
        .map(([name, value]) => [name, value.startsWith('${') ? '' : value])
    );
    expect(loadConfig(env).port).toBe(3001);
  });
});
