import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildServer, type App } from '../../src/server/http/server';
import { createLogger } from '../../src/server/logger';
import { createMetricsRegistry } from '../../src/server/metrics';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { freePort, startPrometheus, type RunningPrometheus } from '../harness/prometheus';

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
      prometheus: new PrometheusClient({ baseUrl: prom.url, timeoutMs: 5000 }),
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

  it('is ready when the store and Prometheus answer', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('ready');
    expect(body.checks.store).toEqual({ ok: true });
    expect(body.checks.prometheus.ok).toBe(true);
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

  it('reports not ready, saying why, once Prometheus is down', async () => {
    await prom.stop();
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body.status).toBe('not_ready');
    expect(body.checks.store.ok).toBe(true);
    expect(body.checks.prometheus.ok).toBe(false);
    expect(body.checks.prometheus.message).toMatch(/is unreachable/);
  });
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

/** Every backend process a test started, killed after each test whether it passed or not. */
const children = new Set<ReturnType<typeof spawn>>();

/** Runs the real entry point (src/server/main.ts through tsx) as a process, as `npm start` would. */
function runBackend(env: Record<string, string>) {
  const child = spawn(join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx'), ['src/server/main.ts'], {
    cwd: join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: tsx runs main.ts in a child of its own, and both must go on kill.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    })
  );
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('the backend process', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-proc-'));
  });
  afterEach(() => {
    // A failed test must not leave a backend running (it would keep Jest from exiting).
    for (const child of children) {
      process.kill(-child.pid!, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad environment value, naming the variable and the key', async () => {
    const run = runBackend({ FP_PORT: 'seventy', FP_DATA_DIR: dir });
    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toMatch(/invalid configuration:\n {2}- port \(from FP_PORT\): /);
  }, 120_000);

  it('refuses a config file with an unknown key and a bad URL, naming both', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'prometheus:\n  url: ftp://nowhere\nportt: 3000\n');
    const run = runBackend({ FP_CONFIG: file, FP_DATA_DIR: dir });
    expect(await run.exited).toBe(2);
    const { stderr } = run.output();
    expect(stderr).toContain(`- portt (in ${file}): is not a setting here (check its spelling`);
    expect(stderr).toMatch(/prometheus\.url .*http:\/\/ or https:\/\/ URL/);
  }, 120_000);

  it('starts with defaults, generates a token it never logs, serves, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const run = runBackend({ FP_PORT: String(port), FP_DATA_DIR: dir, FP_HOST: '127.0.0.1' });
    // Started once it says so: no deadline of its own, a busy machine only makes it slower.
    await new Promise<void>((resolve, reject) => {
      run.child.stdout!.on('data', () => run.output().stdout.includes('failureprophet backend started') && resolve());
      void run.exited.then((code) => reject(new Error(`the backend exited (${code}): ${run.output().stderr}`)));
    });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    const authorized = await fetch(`http://127.0.0.1:${port}/api/anything`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(authorized.status).toBe(404);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const { stdout } = run.output();
    expect(stdout).not.toContain(token);
    const messages = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).msg);
    expect(messages).toEqual(expect.arrayContaining(['failureprophet backend started', 'shutting down', 'stopped']));
    expect(stdout).toContain('FP_PROMETHEUS_URL');
  }, 120_000);
});
