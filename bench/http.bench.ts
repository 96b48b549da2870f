/**
 * The API under load: the built backend (`dist-server/main.mjs`, as `npm run build:server` makes
 * it and the container runs it) over a store holding 100,000 anomalies, 100,000 predictions and
 * 10,000 model versions. For each list endpoint, autocannon sends 500 requests a second for 10 s
 * (the API's default page sizes) and reports what was served (2xx) and shed (503) and the p50 / p99
 * latency of what was served against the 50 ms target; then it floods `/api/anomalies` at the largest page
 * (MAX_PAGE_LIMIT) with 256 connections while `/healthz` is asked every 100 ms (target: every answer
 * within 1 s). autocannon is a development dependency for this bench only.
 *
 * FP_BENCH_CPU_PROF=<dir> runs the backend with `--cpu-prof` into that folder (the profile is written
 * when it exits); FP_BENCH_PATHS=<a,b> loads only those paths, and FP_BENCH_FLOOD=0 skips the flood.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { MAX_PAGE_LIMIT } from '../src/contract/pipeline';
import { SqlitePipelineRepository } from '../src/server/pipeline/store/sqliteRepository';
import type { AnomalyRecord, PredictionRecord } from '../src/server/pipeline/targetModel';
import { openSqliteStore } from '../src/server/store/sqlite';
import { freePort } from '../test/harness/prometheus';

const ROOT = join(__dirname, '..');
const ROWS = Number(process.env.FP_BENCH_ROWS ?? 100_000);
const RATE = 500;
const TOKEN = 'bench-token-0123456789abcdef';
const T0 = Date.UTC(2025, 0, 1);
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

async function fill(dataDir: string): Promise<void> {
  const store = openSqliteStore(dataDir, () => T0);
  const repo = new SqlitePipelineRepository(store.db, () => T0);
  for (let chunk = 0; chunk < ROWS; chunk += 10_000) {
    const anomalies: AnomalyRecord[] = [];
    const predictions: PredictionRecord[] = [];
    for (let i = chunk; i < Math.min(ROWS, chunk + 10_000); i++) {
      const targetId = `fleet{instance="i-${i % 5000}"}`;
      anomalies.push({
        targetId,
        watch: `fleet-${i % 4}`,
        labels: { instance: `i-${i % 5000}` },
        start: T0 + i * 30_000,
        end: T0 + i * 30_000 + 600_000,
        peakScore: 0.5,
        severity: SEVERITIES[i % 4],
        failureModel: 'byzantine',
        state: i % 50 === 0 ? 'open' : 'closed',
        signals: ['load'],
        direction: 'above',
        reasons: ['load above its band'],
      });
      predictions.push({
        targetId,
        watch: `fleet-${i % 4}`,
        signal: 'memory',
        madeAt: T0 + i * 30_000,
        limit: 1,
        direction: 'above',
        seconds: 3600,
        lowerSeconds: 1800,
        upperSeconds: 7200,
      });
    }
    await repo.commitCycle({ watch: 'fleet-0', lastProcessed: T0, targets: [], anomalies, predictions, forgotten: [] });
  }
  for (let i = 0; i < ROWS / 10; i++) {
    await repo.addModel({
      watch: `fleet-${i % 4}`,
      targetId: `fleet{instance="i-${i % 5000}"}`,
      status: 'active',
      reason: 'initial',
      trainedAt: T0 + i * 1000,
      rangeStart: T0,
      rangeEnd: T0 + i * 1000,
      samples: 100,
      params: {},
      threshold: 0.24,
      feedback: { falsePositive: 0, confirmed: 0 },
    });
  }
  store.db.exec('ANALYZE');
  store.close();
}

const shedCount = (r: autocannon.Result): number => r.statusCodeStats?.['503']?.count ?? 0;

async function load(url: string, options: Partial<autocannon.Options>): Promise<autocannon.Result> {
  return autocannon({ url, headers: { authorization: `Bearer ${TOKEN}` }, ...options });
}

export async function run(): Promise<void> {
  const main = join(ROOT, 'dist-server', 'main.mjs');
  if (!existsSync(main)) {
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'fp-bench-http-'));
  let t = performance.now();
  await fill(join(dir, 'data'));
  console.log(
    `  stored ${ROWS.toLocaleString('en')} anomalies and predictions in ${((performance.now() - t) / 1000).toFixed(1)} s`
  );
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
    for (let i = 0; i < 600; i++) {
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false
        )
      ) {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(
      `  ${'endpoint'.padEnd(34)} ${'req/s'.padStart(7)} ${'2xx/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  p99 / 50 ms target  shed (503)  errors`
    );
    const paths = process.env.FP_BENCH_PATHS?.split(',') ?? [
      '/api/anomalies',
      '/api/anomalies?state=open',
      '/api/predictions',
      '/api/models',
      '/api/targets',
    ];
    for (const path of paths) {
      const r = await load(`${base}${path}`, {
        overallRate: RATE,
        connections: 50,
        duration: 10,
        // Latency of what was served: a 503 answered at once would flatter it.
        excludeErrorStats: true,
      });
      console.log(
        `  ${path.padEnd(34)} ${r.requests.average.toFixed(0).padStart(7)} ${(r['2xx'] / r.duration).toFixed(0).padStart(7)} ${String(r.latency.p50).padStart(7)} ${String(r.latency.p99).padStart(7)}  ${(r.latency.p99 / 50).toFixed(2).padStart(18)}  ${String(shedCount(r)).padStart(10)}  ${r.non2xx - shedCount(r) + r.errors}`
      );
    }
    if (process.env.FP_BENCH_FLOOD === '0') {
      return;
    }
    const health: number[] = [];
    let healthFailed = 0;
    const flood = load(`${base}/api/anomalies?limit=${MAX_PAGE_LIMIT}`, { connections: 256, duration: 15 });
    const until = performance.now() + 15_000;
    while (performance.now() < until) {
      const s = performance.now();
      const ok = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.ok,
        () => false
      );
      health.push(performance.now() - s);
      healthFailed += ok ? 0 : 1;
      await new Promise((r) => setTimeout(r, 100));
    }
    const f = await flood;
    health.sort((a, b) => a - b);
    console.log(
      `  overload (256 connections on /api/anomalies?limit=${MAX_PAGE_LIMIT}): ${f.requests.average.toFixed(0)} req/s, ${f['2xx']} served, ${shedCount(f)} shed with 503; ` +
        `/healthz p50 ${health[Math.floor(health.length / 2)].toFixed(0)} ms, max ${health[health.length - 1].toFixed(0)} ms ` +
        `(max / 1 s target ${(health[health.length - 1] / 1000).toFixed(2)}), ${healthFailed} failed of ${health.length}`
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
