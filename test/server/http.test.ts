import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildServer, type App } from '../../src/server/http/server';
import { createLogger } from '../../src/server/logger';
import { createMetricsRegistry } from '../../src/server/metrics';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { openSqliteDatabase, openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { parse as parseYaml } from 'yaml';
import { freePort, startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { assembledApp, AUTH } from '../harness/server';
import { reap, runBackend } from '../harness/backend';

const TOKEN = 'test-token-0123456789abcdef';

/** Captures the JSON log lines a server writes. */
function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('backend over HTTP', () => {
  let dir: string;
  let store: SqliteStore;
  let app: App;
  let base: string;
  let prom: RunningPrometheus;
  const sink = logSink();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fp-http-'));
    store = openSqliteStore(dir);
    prom = await startPrometheus();
    app = await buildServer({
      logger: sink.logger,
      apiToken: TOKEN,
      store,
      prometheus: new PrometheusClient({ baseUrl: prom.url, timeoutMs: 60_000 }),
      metrics: createMetricsRegistry(),
      version: '9.9.9',
      authenticatedRoutes: [
        async (scope) => {
          scope.get('/api/echo', async () => ({ ok: true }));
        },
      ],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    store?.close();
    await prom?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz without a token', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: '9.9.9', uptimeSeconds: expect.any(Number) });
  });

  it('is ready when the store and Prometheus answer, without saying where Prometheus is', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { store: { ok: true }, storeWrites: { ok: true }, prometheus: { ok: true } },
      degradedWatchCount: 0,
    });
  });

  it('refuses /api without the token, with a wrong token, and with a token of another length', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN.slice(0, -1)}x`, 'Bearer short', `Basic ${TOKEN}`]) {
      const response = await fetch(`${base}/api/echo`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect((await response.json()).error).toBe('unauthorized');
    }
  });

  it('serves /api with the token and never logs it', async () => {
    const response = await fetch(`${base}/api/echo`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(sink.lines.length).toBeGreaterThan(0);
    expect(sink.lines.join('\n')).not.toContain(TOKEN);
  });

  it('answers 401 (not 404) for unknown /api paths without a token, and 404 with it', async () => {
    expect((await fetch(`${base}/api/nothing-here`)).status).toBe(401);
    const response = await fetch(`${base}/api/nothing-here`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(404);
    expect((await response.json()).message).toBe('no route GET /api/nothing-here');
  });

  it('exposes Prometheus metrics with process metrics', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });

  it('reports not ready, saying why in a fixed phrase without the URL, once Prometheus is down', async () => {
    await prom.stop();
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: 'not_ready',
      checks: {
        store: { ok: true },
        storeWrites: { ok: true },
        prometheus: { ok: false, message: 'prometheus does not answer (refused)' },
      },
      degradedWatchCount: 0,
    });
    expect(text).not.toContain(String(prom.port));
  });

  it("stays ready with Prometheus down when the probe excludes it (the Deployment's probe), still saying it is down", async () => {
    const response = await fetch(`${base}/readyz?exclude=prometheus`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: {
        store: { ok: true },
        storeWrites: { ok: true },
        prometheus: { ok: false, message: 'prometheus does not answer (refused)' },
      },
      degradedWatchCount: 0,
    });
    // Only what every replica shares may be left out (Prometheus, the store's writes), several as the API server
    // takes them; the store's answer and leadership are the replica's own.
    expect((await fetch(`${base}/readyz?exclude=prometheus&exclude=storeWrites`)).status).toBe(200);
    expect((await fetch(`${base}/readyz?exclude=storeWrites`)).status).toBe(503);
    expect((await fetch(`${base}/readyz?exclude=store`)).status).toBe(400);
    expect((await fetch(`${base}/readyz?exclude=prometheus&exclude=leadership`)).status).toBe(400);
  });
});

describe('readiness with a watch from the config file that Prometheus refuses', () => {
  it('stays ready and names the watch and why to the API token, without its query or the URL', async () => {
    const prom = await startPrometheus();
    let backend: Awaited<ReturnType<typeof assembledApp>> | undefined;
    try {
      const file = [
        `prometheus: { url: '${prom.url}' }`,
        'watches:',
        '  - name: nodes',
        '    queries: { up: up }',
        '  - name: broken',
        "    queries: { rate: 'rate(node_cpu_seconds_total[5m' }",
      ].join('\n');
      backend = await assembledApp(parseYaml(file));
      await backend.backend.pipeline.runOnce();
      const response = await backend.app.inject({ url: '/readyz', headers: AUTH });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        status: 'ready',
        checks: { store: { ok: true }, storeWrites: { ok: true }, prometheus: { ok: true } },
        degradedWatchCount: 1,
        degradedWatches: [{ name: 'broken', reason: 'its data source refuses a query' }],
      });
      expect(response.body).not.toMatch(/node_cpu|127\.0\.0\.1/);
    } finally {
      await backend?.close();
      await prom.stop();
    }
  }, 120_000);
});

describe('readiness without Prometheus configured', () => {
  it('says how to configure one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-http-'));
    const store = openSqliteStore(dir);
    const app = await buildServer({
      logger: logSink().logger,
      apiToken: TOKEN,
      store,
      metrics: createMetricsRegistry(),
      version: 'x',
    });
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.prometheus.message).toContain('FP_PROMETHEUS_URL');
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('readiness under a flood of probes', () => {
  it('asks Prometheus and the store once for all the probes that arrive while an answer is awaited, and again after it', async () => {
    const PROBES = 50;
    let pings = 0;
    let held = true;
    const waiting: Array<() => void> = [];
    const prometheus = {
      ping: () => {
        pings++;
        return held ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve();
      },
    };
    // A probe reads the watches' status as it arrives, then pings the store and Prometheus at once.
    const store = openSqliteDatabase(':memory:');
    const storePing = store.ping.bind(store);
    let storePings = 0;
    store.ping = () => {
      storePings++;
      return held ? new Promise<void>((resolve) => waiting.push(resolve)).then(storePing) : storePing();
    };
    let arrived = 0;
    let allArrived!: () => void;
    const together = new Promise<void>((resolve) => (allArrived = resolve));
    const watchStatus = () => {
      if (++arrived === PROBES) {
        allArrived();
      }
      return [];
    };
    const app = await buildServer({
      logger: logSink().logger,
      apiToken: TOKEN,
      store,
      prometheus,
      watchStatus,
      metrics: createMetricsRegistry(),
      version: 'x',
    });
    try {
      const probes = Array.from({ length: PROBES }, () => app.inject({ method: 'GET', url: '/readyz' }));
      await together;
      held = false;
      waiting.splice(0).forEach((answer) => answer());
      for (const response of await Promise.all(probes)) {
        expect(response.statusCode).toBe(200);
        expect(response.json().checks.prometheus).toEqual({ ok: true });
      }
      expect([pings, storePings]).toEqual([1, 1]);

      // No answer is kept past its request: the next probe asks both again.
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      expect([pings, storePings]).toEqual([2, 2]);
    } finally {
      await app.close();
      store.close();
    }
  });
});

/** Runs the real entry point (src/server/main.ts through tsx) as a process, as `npm start` would. */
// Generous: starting tsx and the backend takes seconds alone and much longer on a busy machine.
// The tests wait on the process's own signals (its exit, its "started" log line), never on a clock.
const PROCESS_TIMEOUT = 240_000;

describe('the backend process', () => {
  let dir: string;
  let run: ReturnType<typeof runBackend> | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-proc-'));
  });
  afterEach(async () => {
    try {
      await reap(run);
    } finally {
      run = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'refuses a bad environment value, naming the variable and the key',
    async () => {
      run = runBackend({ FP_PORT: 'seventy', FP_DATA_DIR: dir });
      expect(await run.exited).toBe(2);
      expect(run.output().stderr).toMatch(/invalid configuration:\n {2}- port \(from FP_PORT\): /);
    },
    PROCESS_TIMEOUT
  );

  it(
    'refuses a config file with an unknown key and a bad URL, naming both',
    async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'prometheus:\n  url: ftp://nowhere\nportt: 3000\n');
      run = runBackend({ FP_CONFIG: file, FP_DATA_DIR: dir });
      expect(await run.exited).toBe(2);
      const { stderr } = run.output();
      expect(stderr).toContain(`- portt (in ${file}): is not a setting here (check its spelling`);
      expect(stderr).toMatch(/prometheus\.url .*http:\/\/ or https:\/\/ URL/);
    },
    PROCESS_TIMEOUT
  );

  it(
    'refuses an alert token equal to the API token',
    async () => {
      const same = 'the-same-token-for-both';
      run = runBackend({ FP_API_TOKEN: same, FP_ALERT_TOKEN: same, FP_DATA_DIR: dir });
      expect(await run.exited).toBe(2);
      const { stderr } = run.output();
      expect(stderr).toContain('the alert token (configuration) is the API token (configuration)');
      expect(stderr).not.toContain(same);
    },
    PROCESS_TIMEOUT
  );

  it(
    'starts with defaults, generates two tokens it never logs, serves, and stops cleanly on SIGTERM',
    async () => {
      const port = await freePort();
      run = runBackend({ FP_PORT: String(port), FP_DATA_DIR: dir, FP_HOST: '127.0.0.1' });
      await run.started;
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
      const alertToken = readFileSync(join(dir, 'alert-token'), 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(alertToken.length).toBeGreaterThanOrEqual(32);
      expect(alertToken).not.toBe(token);
      const authorized = await fetch(`http://127.0.0.1:${port}/api/anything`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(authorized.status).toBe(404);
      const alertsOnly = await fetch(`http://127.0.0.1:${port}/api/targets`, {
        headers: { authorization: `Bearer ${alertToken}` },
      });
      expect(alertsOnly.status).toBe(401);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      const { stdout } = run.output();
      expect(stdout).not.toContain(token);
      expect(stdout).not.toContain(alertToken);
      const messages = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).msg);
      expect(messages).toEqual(expect.arrayContaining(['failureprophet backend started', 'shutting down', 'stopped']));
      expect(stdout).toContain('FP_PROMETHEUS_URL');
    },
    PROCESS_TIMEOUT
  );
});
