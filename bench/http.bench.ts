/**
 * The API under load: the built backend (`dist-server/main.mjs`, as `npm run build:server` makes
 * it and the container runs it) over a store holding 100,000 anomalies, 100,000 predictions,
 * 10,000 model versions, 100,000 healing actions and 200,000 audit entries (`bench/httpFill.ts`).
 * Each list endpoint gets "500 req/s" for 10 s in two shapes, both printed (the API's default pages):
 * - `paced`: one request every 2 ms, each sent when due whatever became of the earlier ones (open loop,
 *   `bench/httpPaced.ts`, at most 64 connections): 500 independent users a second. Answers still
 *   waiting 10 s after the last request's due time count as errors (an open loop the backend cannot keep
 *   up with would queue without end).
 * - `bursts`: autocannon with `overallRate: 500` over 50 connections. autocannon's rate is a ceiling per
 *   second per connection (10 each): each connection sends its 10 back to back when its second starts,
 *   so the backend sees 50 requests at once, then nothing until the next second.
 * Each shape runs again as `paced+writes` and `bursts+writes`, with another process committing a row to
 * the same SQLite file every WRITE_MS (`bench/httpWriter.ts`): a list worker keeps a page only while
 * nothing was committed (SQLite's data_version), so these show what pages cost when every one is read
 * anew, as after each watch cycle's commit.
 * For each the bench prints what was served (2xx) and shed (503), the p50 / p99 / max latency of what
 * was served against the 50 ms target, the backend's CPU time per answered request (from /proc:
 * load-independent enough to judge progress) and the machine's load average. Then it floods every list
 * route at its largest page with 256 connections while curl asks `/healthz` every 100 ms (target: every
 * answer within 1 s). Last, the backend's RSS before any list was asked (no list worker), after the
 * endpoints (workers running) and at its peak, and one line per target: met or missed.
 *
 * Latencies are each response's own (autocannon's `response` event, or the paced client's from due
 * time to last byte), not autocannon's histogram: with a rate set, autocannon "corrects for
 * coordinated omission" with an expected interval of ceil(1 / rate per connection) = 1 ms, so a
 * response of L ms is recorded L times (L, L-1, ... 1) and its percentiles weigh slow answers by
 * their length.
 *
 * FP_BENCH_CPU_PROF=<dir> runs the backend with `--cpu-prof` into that folder (the profile is written
 * when it exits); FP_BENCH_PATHS=<a,b> loads only those paths (empty: none), FP_BENCH_FLOOD=0 skips the flood,
 * FP_BENCH_ROWS sets the rows per table (100,000), FP_BENCH_SECONDS the seconds per endpoint and shape (10),
 * FP_BENCH_SHAPES=<a,b> runs only those shapes (paced, bursts, paced+writes, bursts+writes), FP_BENCH_WARMUP the unmeasured seconds of paced load
 * each endpoint gets first (2: a server in use has its code compiled, its list workers started and its
 * statements prepared; 0 measures a cold start).
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
import { DATABASE_FILE, openSqliteStore } from '../src/server/store/sqlite';
import { freePort } from '../test/harness/prometheus';
import { fillHealing, fillPipeline } from './httpFill';
import { paced, type LoadResult } from './httpPaced';
import { startWriter } from './httpWriter';

const ROOT = join(__dirname, '..');
const ROWS = Number(process.env.FP_BENCH_ROWS ?? 100_000);
const SECONDS = Number(process.env.FP_BENCH_SECONDS ?? 10);
const RATE = 500;
const WARMUP_SECONDS = Number(process.env.FP_BENCH_WARMUP ?? 2);
/** autocannon's connections for the bursts; the paced client's most. */
const BURST_CONNECTIONS = 50;
const PACED_CONNECTIONS = 64;
const SHAPES = (process.env.FP_BENCH_SHAPES ?? 'paced,bursts,paced+writes,bursts+writes').split(',').filter(Boolean);
/** How often the writer of the `+writes` shapes commits: about once per request at RATE. */
const WRITE_MS = 2;
/** The issue's targets: every list endpoint's p99 at 500 req/s, /healthz under any overload. */
const P99_TARGET_MS = 50;
const HEALTH_TARGET_MS = 1000;
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

/** A memory figure of the process from /proc/<pid>/status (VmRSS, VmHWM), in MiB. */
function memoryMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const line = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Number(line[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

interface Measured {
  result: autocannon.Result;
  /** Latency of each 2xx answer, ms, ascending. */
  served: number[];
  shed: number;
  /** Response bytes of the 2xx answers. */
  servedBytes: number;
}

async function load(options: autocannon.Options): Promise<Measured> {
  const served: number[] = [];
  let shed = 0;
  let servedBytes = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ headers: { authorization: `Bearer ${TOKEN}` }, ...options }, (err, r) =>
      err ? reject(err) : resolve(r)
    );
    instance.on('response', (_client, status, bytes, ms) => {
      if (status >= 200 && status < 300) {
        served.push(ms);
        servedBytes += bytes;
      } else if (status === 503) {
        shed++;
      }
    });
  });
  return { result, served: served.sort((a, b) => a - b), shed, servedBytes };
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

async function loadBursts(url: string): Promise<LoadResult> {
  const {
    result: r,
    served,
    shed,
    servedBytes,
  } = await load({
    url,
    overallRate: RATE,
    connections: BURST_CONNECTIONS,
    duration: SECONDS,
  });
  return { served, shed, servedBytes, errors: r.non2xx - shed + r.errors + r.timeouts, duration: r.duration };
}

const loadPaced = (url: string, seconds = SECONDS): Promise<LoadResult> =>
  paced({
    url,
    headers: { authorization: `Bearer ${TOKEN}` },
    rate: RATE,
    seconds,
    connections: PACED_CONNECTIONS,
    graceSeconds: 10,
  });

/**
 * 256 connections cycle every list route's largest page for 15 s while curl asks /healthz every
 * 100 ms; prints what was served and shed and the probes' times.
 */
async function flood(base: string): Promise<{ maxMs: number; failed: number; probes: number }> {
  const health: number[] = [];
  let failed = 0;
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
    failed += probe.ok ? 0 : 1;
    await new Promise((r) => setTimeout(r, 100));
  }
  const f = await flooding;
  health.sort((a, b) => a - b);
  const maxMs = health[health.length - 1];
  console.log(
    `  overload (256 connections cycling ${FLOOD_PATHS.join(' ')}): ${f.result.requests.average.toFixed(0)} req/s, ${f.served.length} served, ${f.shed} shed with 503; ` +
      `/healthz p50 ${percentile(health, 50).toFixed(0)} ms, max ${maxMs.toFixed(0)} ms, ${failed} failed of ${health.length}; load ${loadavg()[0].toFixed(1)}`
  );
  return { maxMs, failed, probes: health.length };
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
    const rssBefore = memoryMiB(child.pid, 'VmRSS');
    console.log(
      `  ${RATE} req/s for ${SECONDS} s per endpoint and shape, after ${WARMUP_SECONDS} s of paced load not measured: paced = one request every ${1000 / RATE} ms (open loop, at most ${PACED_CONNECTIONS} connections); ` +
        `bursts = autocannon overallRate ${RATE} over ${BURST_CONNECTIONS} connections (each sends its ${RATE / BURST_CONNECTIONS} back to back as its second starts). ` +
        `Latency of 2xx answers; CPU: the backend's user + system time per answered request`
    );
    console.log(
      `  ${'endpoint'.padEnd(60)} ${'shape'.padEnd(13)} ${'2xx/s'.padStart(6)} ${'shed'.padStart(5)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'p99/50'.padStart(6)} ${'CPU ms'.padStart(6)} ${'kB'.padStart(5)} ${'load'.padStart(5)}  errors`
    );
    const paths = process.env.FP_BENCH_PATHS?.split(',').filter(Boolean) ?? DEFAULT_PATHS;
    const rows: Array<{ shape: string; path: string; p99: number; shed: number }> = [];
    for (const path of paths) {
      if (WARMUP_SECONDS > 0) {
        await loadPaced(`${base}${path}`, WARMUP_SECONDS);
      }
      for (const shape of SHAPES) {
        const writer = shape.endsWith('+writes')
          ? await startWriter(join(dir, 'data', DATABASE_FILE), WRITE_MS)
          : undefined;
        let m: LoadResult;
        let commits: number | undefined;
        let cpuBefore: number | undefined;
        let cpuAfter: number | undefined;
        try {
          cpuBefore = cpuMs(child.pid);
          m = shape.startsWith('paced') ? await loadPaced(`${base}${path}`) : await loadBursts(`${base}${path}`);
          cpuAfter = cpuMs(child.pid);
        } finally {
          commits = await writer?.stop();
        }
        const answered = m.served.length + m.shed;
        const cpu = cpuBefore === undefined || cpuAfter === undefined ? NaN : (cpuAfter - cpuBefore) / answered;
        const p99 = percentile(m.served, 99);
        rows.push({ shape, path, p99, shed: m.shed + m.errors });
        console.log(
          `  ${path.padEnd(60)} ${shape.padEnd(13)} ${cell(m.served.length / m.duration, 6)} ${cell(String(m.shed), 5)} ${cell(percentile(m.served, 50), 7)} ${cell(p99, 7)} ${cell(m.served.at(-1) ?? NaN, 7)} ${cell(p99 / P99_TARGET_MS, 6)} ${cell(cpu, 6)} ${cell(m.served.length > 0 ? m.servedBytes / m.served.length / 1000 : NaN, 5)} ${cell(loadavg()[0], 5)}  ${m.errors}${commits === undefined ? '' : `; ${(commits / m.duration).toFixed(0)} commits/s meanwhile`}`
        );
      }
    }
    const rssAfter = memoryMiB(child.pid, 'VmRSS');
    const health = process.env.FP_BENCH_FLOOD === '0' ? undefined : await flood(base);
    console.log(
      `  backend RSS: ${cell(rssBefore, 0)} MiB before any list (no list worker), ${cell(rssAfter, 0)} MiB after the endpoints (workers running), ` +
        `${cell(memoryMiB(child.pid, 'VmRSS'), 0)} MiB after the flood, peak ${cell(memoryMiB(child.pid, 'VmHWM'), 0)} MiB`
    );
    for (const shape of SHAPES) {
      const of = rows.filter((r) => r.shape === shape);
      // A request shed or failed is a miss too: an endpoint that refuses some cannot claim its served p99.
      const missed = of.filter((r) => r.shed > 0 || !(r.p99 < P99_TARGET_MS));
      const worst = of.reduce<(typeof of)[number] | undefined>(
        (w, r) => (w === undefined || r.p99 > w.p99 ? r : w),
        undefined
      );
      console.log(
        `  target: every list endpoint's p99 < ${P99_TARGET_MS} ms at ${RATE} req/s, ${shape}: ${of.length === 0 ? 'not measured' : missed.length === 0 ? 'met' : `missed by ${missed.length} of ${of.length}`}` +
          (worst
            ? ` (highest p99 ${cell(worst.p99, 0)} ms, ${worst.path}; ${of.reduce((n, r) => n + r.shed, 0)} shed or failed in all)`
            : '')
      );
    }
    if (health !== undefined) {
      console.log(
        `  target: /healthz within ${HEALTH_TARGET_MS} ms under the flood: ${health.failed === 0 && health.maxMs < HEALTH_TARGET_MS ? 'met' : 'missed'} (max ${cell(health.maxMs, 0)} ms, ${health.failed} of ${health.probes} failed)`
      );
    }
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
