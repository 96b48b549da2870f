/**
 * The API under load: the built backend (`dist-server/main.mjs`, as `npm run build:server` makes
 * it and the container runs it) over a store holding 100,000 anomalies, 100,000 predictions,
 * 10,000 model versions, 100,000 healing actions and 200,000 audit entries (`bench/httpFill.ts`).
 * For each list endpoint, autocannon sends 500 requests a second for 10 s (`overallRate`; the API's
 * default page sizes) and the bench prints what was served (2xx) and shed (503), the p50 / p99 / max
 * latency of what was served against the 50 ms target, the backend's CPU time per answered request
 * (from /proc: load-independent enough to judge progress) and the machine's load average. Then it
 * floods every list route at its largest page with 256 connections while curl asks `/healthz` every
 * 100 ms (target: every answer within 1 s).
 *
 * Latencies are each response's own (autocannon's `response` event), not autocannon's histogram:
 * with a rate set, autocannon "corrects for coordinated omission" with an expected interval of
 * ceil(1 / rate per connection) = 1 ms, so a response of L ms is recorded L times (L, L-1, ... 1)
 * and its percentiles weigh slow answers by their length. Its rate limiter lets each connection
 * send its share of a second back to back at the start of that second: 500 req/s arrive as a burst
 * each second, 50 at a time (the connections), which the latencies include.
 *
 * FP_BENCH_CPU_PROF=<dir> runs the backend with `--cpu-prof` into that folder (the profile is written
 * when it exits); FP_BENCH_PATHS=<a,b> loads only those paths (empty: none), FP_BENCH_FLOOD=0 skips the flood,
 * FP_BENCH_ROWS sets the rows per table (100,000), FP_BENCH_SECONDS the seconds per endpoint (10).
 * FP_BENCH_COMPARE=<path of another build's main.mjs> measures that backend first, over the same store
 * in the same run (old and new code side by side, on the same machine load).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { actionStateSchema } from '../src/contract/healing';
import { MAX_PAGE_LIMIT } from '../src/contract/pipeline';
import { openSqliteStore } from '../src/server/store/sqlite';
import { freePort } from '../test/harness/prometheus';
import { fillHealing, fillPipeline } from './httpFill';

const ROOT = join(__dirname, '..');
const ROWS = Number(process.env.FP_BENCH_ROWS ?? 100_000);
const SECONDS = Number(process.env.FP_BENCH_SECONDS ?? 10);
const RATE = 500;
const TOKEN = 'bench-token-0123456789abcdef';
const T0 = Date.UTC(2025, 0, 1);
/** The largest page of the healing lists (`pagingSchema`). */
const HEALING_MAX_PAGE = 500;
/** The states the Actions page lists as history (all but awaiting_approval). */
const HISTORY = actionStateSchema.options.filter((s) => s !== 'awaiting_approval').join(',');

const DEFAULT_PATHS = [
  '/api/anomalies',
  '/api/anomalies?state=open',
  '/api/predictions',
  '/api/models',
  '/api/targets',
  '/api/actions',
  '/api/actions?state=awaiting_approval&limit=100',
  `/api/actions?state=${HISTORY}&offset=500`,
  '/api/audit',
  '/api/audit?kind=verified&offset=500',
];

const FLOOD_PATHS = [
  `/api/anomalies?limit=${MAX_PAGE_LIMIT}`,
  `/api/predictions?limit=${MAX_PAGE_LIMIT}`,
  `/api/models?limit=${MAX_PAGE_LIMIT}`,
  `/api/actions?limit=${HEALING_MAX_PAGE}`,
  `/api/audit?limit=${HEALING_MAX_PAGE}`,
];

async function fill(dataDir: string): Promise<void> {
  const store = openSqliteStore(dataDir, () => T0);
  try {
    await fillPipeline(store, ROWS, T0);
    await fillHealing(store, ROWS, T0, async (write) => {
      store.db.exec('BEGIN');
      const done = await write();
      store.db.exec('COMMIT');
      return done;
    });
    store.db.exec('ANALYZE');
  } finally {
    await store.close();
  }
}

/** The CPU time (user + system, ms) the process has used, from /proc; undefined where there is none. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in ticks of 10 ms.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

interface Measured {
  result: autocannon.Result;
  /** Latency of each 2xx answer, ms, ascending. */
  served: number[];
  shed: number;
}

async function load(options: autocannon.Options): Promise<Measured> {
  const served: number[] = [];
  let shed = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ headers: { authorization: `Bearer ${TOKEN}` }, ...options }, (err, r) =>
      err ? reject(err) : resolve(r)
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        served.push(ms);
      } else if (status === 503) {
        shed++;
      }
    });
  });
  return { result, served: served.sort((a, b) => a - b), shed };
}

const cell = (value: number | string, width: number) =>
  (typeof value === 'number' ? (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 0) : '-') : value).padStart(
    width
  );

/**
 * One /healthz probe by curl, a process of its own as a kubelet's probe is: its time is curl's, so
 * this process' event loop, busy with autocannon's 256 connections, does not add to it.
 */
function probeHealth(url: string): Promise<{ ok: boolean; ms: number }> {
  return new Promise((resolve) => {
    const curl = spawn('curl', ['-s', '-o', '/dev/null', '-m', '10', '-w', '%{http_code} %{time_total}', url]);
    let out = '';
    curl.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    curl.on('error', () => resolve({ ok: false, ms: NaN }));
    curl.on('close', () => {
      const [code, seconds] = out.trim().split(' ');
      resolve({ ok: code === '200', ms: Number(seconds) * 1000 });
    });
  });
}

async function waitHealthy(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false
      )
    ) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the backend did not answer /healthz within 60 s');
}

export async function run(): Promise<void> {
  const main = join(ROOT, 'dist-server', 'main.mjs');
  if (!existsSync(main)) {
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'fp-bench-http-'));
  try {
    const t = performance.now();
    await fill(join(dir, 'data'));
    console.log(
      `  stored ${ROWS.toLocaleString('en')} anomalies, predictions, actions, ${(ROWS / 10).toLocaleString('en')} models and ${(2 * ROWS).toLocaleString('en')} audit entries in ${((performance.now() - t) / 1000).toFixed(1)} s`
    );
    const other = process.env.FP_BENCH_COMPARE;
    if (other) {
      console.log(`  -- ${other} (FP_BENCH_COMPARE), then ${main}, over the same store`);
      await measure(other, dir);
      console.log(`  -- ${main}`);
    }
    await measure(main, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The endpoints at 500 req/s, then the flood, against the backend built as `main`, over the store in `dir`. */
async function measure(main: string, dir: string): Promise<void> {
  const port = await freePort();
  const profile = process.env.FP_BENCH_CPU_PROF;
  const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), main], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_DATA_DIR: join(dir, 'data'),
      FP_API_TOKEN: TOKEN,
      FP_LOG_LEVEL: 'warn',
      FP_CONFIG: join(ROOT, 'bench', 'no-watches.yaml'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(base, child);
    console.log(
      `  ${RATE} req/s for ${SECONDS} s per endpoint (autocannon overallRate, 50 connections); latency of 2xx answers; CPU: the backend's user + system time per answered request`
    );
    console.log(
      `  ${'endpoint'.padEnd(60)} ${'2xx/s'.padStart(6)} ${'shed'.padStart(5)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'p99/50'.padStart(6)} ${'CPU ms'.padStart(6)} ${'kB'.padStart(5)} ${'load'.padStart(5)}  errors`
    );
    const paths = process.env.FP_BENCH_PATHS?.split(',').filter(Boolean) ?? DEFAULT_PATHS;
    for (const path of paths) {
      const cpuBefore = cpuMs(child.pid);
      const m = await load({ url: `${base}${path}`, overallRate: RATE, connections: 50, duration: SECONDS });
      const cpuAfter = cpuMs(child.pid);
      const r = m.result;
      const answered = m.served.length + m.shed;
      const cpu = cpuBefore === undefined || cpuAfter === undefined ? NaN : (cpuAfter - cpuBefore) / answered;
      const p99 = percentile(m.served, 99);
      console.log(
        `  ${path.padEnd(60)} ${cell(m.served.length / r.duration, 6)} ${cell(m.shed, 5)} ${cell(percentile(m.served, 50), 7)} ${cell(p99, 7)} ${cell(m.served.at(-1) ?? NaN, 7)} ${cell(p99 / 50, 6)} ${cell(cpu, 6)} ${cell(r['2xx'] > 0 ? r.throughput.total / r['2xx'] / 1000 : NaN, 5)} ${cell(loadavg()[0], 5)}  ${r.non2xx - m.shed + r.errors + r.timeouts}`
      );
    }
    if (process.env.FP_BENCH_FLOOD === '0') {
      return;
    }
    const health: number[] = [];
    let healthFailed = 0;
    const flooding = load({
      url: base,
      requests: FLOOD_PATHS.map((path) => ({ method: 'GET', path })),
      connections: 256,
      duration: 15,
    });
    const until = performance.now() + 15_000;
    while (performance.now() < until) {
      const probe = await probeHealth(`${base}/healthz`);
      health.push(probe.ms);
      healthFailed += probe.ok ? 0 : 1;
      await new Promise((r) => setTimeout(r, 100));
    }
    const f = await flooding;
    health.sort((a, b) => a - b);
    const healthMax = health[health.length - 1];
    console.log(
      `  overload (256 connections cycling ${FLOOD_PATHS.join(' ')}): ${f.result.requests.average.toFixed(0)} req/s, ${f.served.length} served, ${f.shed} shed with 503; ` +
        `/healthz p50 ${percentile(health, 50).toFixed(0)} ms, max ${healthMax.toFixed(0)} ms ` +
        `(max / 1 s target ${(healthMax / 1000).toFixed(2)}), ${healthFailed} failed of ${health.length}; load ${loadavg()[0].toFixed(1)}`
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}
