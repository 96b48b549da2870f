/**
 * Pipeline scale: (1) one watch of 10,000 series at a 60 s step, data served by a real Prometheus
 * (Debian's, backfilled with promtool): time of the scoring part of a cycle (and of the whole
 * cycle: query, scoring, checkpoint); (2) streaming state of 100,000 series held in memory.
 * One series in ten has a forecaster limit, as memory and disk signals would.
 * FP_BENCH_SERIES sets the watch's series (10,000); FP_BENCH_MEMORY=0 leaves out part (2);
 * FP_BENCH_CPU_PROFILE=<file.cpuprofile> writes a CPU profile of the steady cycles only.
 * A learned fleet: FP_BENCH_STEP_MS=1800000 FP_BENCH_HISTORY_STEPS=144 watches at a 30-minute step
 * after 3 days replayed, so ARTime is past its probation (ARTIME_PROBATION_MS) and every forecaster
 * closes a bucket every cycle; the stock run (60 s step, 60 steps replayed) is a fleet in its first hour.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { Registry, type Counter, type Histogram } from 'prom-client';
import { Random } from '../src/detection';
import { ARTIME_PROBATION_MS } from '../src/detection/artime';
import { systemClock } from '../src/server/clock';
import { configSchema } from '../src/server/config/schema';
import { CYCLE_PHASES } from '../src/server/pipeline/metrics';
import { readMatrix } from '../src/server/prometheus/matrix';
import { readMatrixText } from '../src/server/prometheus/matrixText';
import { storedTargets } from '../src/server/pipeline/checkpoint';
import { Pipeline } from '../src/server/pipeline/pipeline';
import { TargetModel, type TargetSettings } from '../src/server/pipeline/targetModel';
import { openSqliteStore } from '../src/server/store/sqlite';
import { startPrometheus } from '../test/harness/prometheus';
import { BENCH_WAL_CHECKPOINTS } from './benchStore';

/** The step of the in-memory parts' series. */
const STEP = 60_000;
/** The watch's step, and the steps replayed on first sight before the steady cycles. */
const WATCH_STEP = Number(process.env.FP_BENCH_STEP_MS ?? STEP);
const HISTORY_STEPS = Number(process.env.FP_BENCH_HISTORY_STEPS ?? 60);
const T0 = Date.UTC(2025, 5, 2);

/** The k-th series' value at its i-th step of `stepMs`: a daily rhythm plus noise. */
function value(rng: Random, i: number, k: number, stepMs = STEP): number {
  return 100 + (k % 50) + 10 * Math.sin((2 * Math.PI * i) / (86_400_000 / stepMs)) + rng.next() * 2;
}

async function cycleBench(series: number, points: number): Promise<void> {
  const rng = new Random(1);
  const timestamps = Array.from({ length: points }, (_, i) => T0 + i * WATCH_STEP);
  let t = performance.now();
  const prom = await startPrometheus(
    Array.from({ length: series }, (_, k) => ({
      name: k % 10 === 0 ? 'bench_memory_ratio' : 'bench_load',
      labels: { instance: `i-${String(k).padStart(6, '0')}` },
      timestamps,
      values: timestamps.map((_, i) =>
        k % 10 === 0 ? 0.3 + 0.0001 * i + 0.01 * rng.next() : value(rng, i, k, WATCH_STEP)
      ),
    }))
  );
  console.log(
    `  backfilled ${series.toLocaleString('en')} series x ${points} points into a real Prometheus in ${((performance.now() - t) / 1000).toFixed(1)} s`
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'fp-bench-'));
  let now = T0 + HISTORY_STEPS * WATCH_STEP;
  const store = openSqliteStore(dataDir, () => now, { walCheckpoints: BENCH_WAL_CHECKPOINTS });
  const metrics = new Registry();
  const config = configSchema.parse({
    prometheus: { url: prom.url, timeout: '60s' },
    watches: [
      {
        name: 'fleet',
        queries: { load: 'bench_load', memory: 'bench_memory_ratio' },
        target: ['instance'],
        step: WATCH_STEP,
        history: HISTORY_STEPS * WATCH_STEP,
        lag: 0,
        limits: { memory: 1 },
      },
    ],
  });
  const pipeline = new Pipeline({
    config,
    repository: store.pipeline,
    logger: pino({ level: 'silent' }),
    metrics,
    clock: { ...systemClock, now: () => now },
  });
  await pipeline.init();
  t = performance.now();
  await pipeline.runOnce();
  console.log(
    `  first sight: replay of ${HISTORY_STEPS} steps of ${WATCH_STEP / 1000} s for every series in ${((performance.now() - t) / 1000).toFixed(1)} s; ` +
      `ARTime's probation (${ARTIME_PROBATION_MS / 3_600_000} h) ${HISTORY_STEPS * WATCH_STEP >= ARTIME_PROBATION_MS ? 'is over' : 'is still running'}`
  );
  const scoring = metrics.getSingleMetric('failureprophet_scoring_duration_seconds') as Histogram;
  const scoringSum = async () => (await scoring.get()).values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const phaseCounter = metrics.getSingleMetric('failureprophet_cycle_phase_seconds_total') as Counter;
  const phaseTotals = async () => {
    const values = (await phaseCounter.get()).values;
    return CYCLE_PHASES.map((phase) => values.find((v) => v.labels.phase === phase)?.value ?? 0);
  };
  // Garbage collection pauses the cycle wherever it falls: counted apart, as V8 reports it.
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  type Row = Record<'scoring' | 'total' | 'cpu' | 'gc' | (typeof CYCLE_PHASES)[number], number>;
  const cycles: Row[] = [];
  const profiler = await startProfile(process.env.FP_BENCH_CPU_PROFILE);
  for (let c = 0; c < Math.min(20, points - HISTORY_STEPS - 1); c++) {
    now += WATCH_STEP;
    const before = await scoringSum();
    const phasesBefore = await phaseTotals();
    const gcBefore = gcMs;
    const cpuBefore = process.cpuUsage();
    await pipeline.runOnce();
    const cpu = process.cpuUsage(cpuBefore);
    const status = pipeline.watches()[0];
    if (status.degraded) {
      throw new Error(`bench watch degraded: ${status.lastError?.message}`);
    }
    const phases = await phaseTotals();
    const row = {
      scoring: ((await scoringSum()) - before) * 1000,
      total: (status.lastCycleSeconds ?? NaN) * 1000,
      cpu: (cpu.user + cpu.system) / 1000,
      gc: gcMs - gcBefore,
    } as Row;
    CYCLE_PHASES.forEach((phase, i) => (row[phase] = (phases[i] - phasesBefore[i]) * 1000));
    cycles.push(row);
  }
  gcObserver.disconnect();
  await profiler?.();
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const max = (xs: number[]) => Math.max(...xs);
  const ms = (key: keyof Row, of: (xs: number[]) => number = median) =>
    `${of(cycles.map((c) => c[key])).toFixed(0)} ms`;
  const status = pipeline.watches()[0];
  console.log(
    `  steady state, ${cycles.length} cycles of one step over ${status.series.toLocaleString('en')} series (${status.targets.toLocaleString('en')} targets): ` +
      `scoring median ${ms('scoring')}, max ${ms('scoring', max)}; ` +
      `whole cycle (2 queries + scoring + checkpoint) median ${ms('total')}, max ${ms('total', max)}`
  );
  console.log(
    `  phases of a cycle (median of ${cycles.length}; wall time, garbage collection included where it fell): ` +
      CYCLE_PHASES.map((phase) => `${phase} ${ms(phase)}`).join(', ') +
      `; of the whole cycle, garbage collection ${ms('gc')}; CPU time of this process ${ms('cpu')} (load ${loadavg()[0].toFixed(1)})`
  );
  await pipeline.stop();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  try {
    await queryBench(prom.url, now, 10);
  } finally {
    await prom.stop();
  }
}

/**
 * A cycle's big query (bench_load, 9 of 10 series, one step) read side by side in one process, the
 * way before (gzip, JSON.parse, readMatrix) and now (uncompressed on loopback, read from the text),
 * alternately: CPU time of this process, and of Prometheus from its own process_cpu_seconds_total
 * (10 ms ticks: the median of several queries).
 */
async function queryBench(url: string, at: number, rounds: number): Promise<void> {
  const body = new URLSearchParams({
    query: 'bench_load',
    start: String(at / 1000),
    end: String(at / 1000),
    step: '60',
  });
  const promCpuMs = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1]) * 1000;
  };
  const ways = {
    before: { encoding: 'gzip', read: (text: string) => readMatrix((JSON.parse(text) as { data: unknown }).data) },
    now: { encoding: 'identity', read: (text: string) => readMatrixText(text) ?? [] },
  };
  const figures = {
    before: { cpu: [] as number[], prom: [] as number[] },
    now: { cpu: [] as number[], prom: [] as number[] },
  };
  let series = 0;
  for (let r = 0; r < 2 * rounds; r++) {
    const way = r % 2 === 0 ? 'before' : 'now';
    const promBefore = await promCpuMs();
    const cpuBefore = process.cpuUsage();
    const response = await fetch(`${url}/api/v1/query_range`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Encoding': ways[way].encoding },
      body,
    });
    series = ways[way].read(await response.text()).length;
    const cpu = process.cpuUsage(cpuBefore);
    figures[way].cpu.push((cpu.user + cpu.system) / 1000);
    figures[way].prom.push((await promCpuMs()) - promBefore);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const { before, now } = figures;
  console.log(
    `  the big query (${series.toLocaleString('en')} series, one step), ${rounds} each way, alternately (median CPU): ` +
      `before (gzip, JSON.parse, readMatrix): ours ${median(before.cpu).toFixed(1)} ms, Prometheus ${median(before.prom).toFixed(0)} ms; ` +
      `now (uncompressed on loopback, read from the text): ours ${median(now.cpu).toFixed(1)} ms, Prometheus ${median(now.prom).toFixed(0)} ms; ` +
      `ratio of ours ${(median(before.cpu) / median(now.cpu)).toFixed(2)} (load ${loadavg()[0].toFixed(1)})`
  );
}

/**
 * The checkpoint of a cycle side by side in one process: a tenth of 10,000 trained targets written
 * through the SQLite repository, each state built as the store reaches it (now) or all built first
 * and then written (as before), alternately; process CPU time (the collector's threads included)
 * and wall time per write.
 */
async function checkpointBench(count: number, rounds: number): Promise<void> {
  const settings = inMemorySettings(120);
  const rng = new Random(3);
  const targets = Array.from({ length: count }, (_, k) => {
    const target = new TargetModel(`fleet{instance="i-${k}"}`, 'fleet', { instance: `i-${k}` }, null, settings, 0.27);
    target.signalIndex({ name: 'load', kind: 'other', limits: k % 10 === 0 ? { above: 1e9 } : undefined });
    return target;
  });
  const values = new Float64Array(1);
  for (let i = 0; i < 70; i++) {
    for (let k = 0; k < count; k++) {
      values[0] = value(rng, i, k);
      targets[k].step(T0 + i * STEP, values);
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'fp-bench-checkpoint-'));
  const store = openSqliteStore(dataDir, () => T0, { walCheckpoints: BENCH_WAL_CHECKPOINTS });
  const repo = store.pipeline;
  const share = Math.ceil(count / 10);
  const figures = {
    lazy: { cpu: [] as number[], wall: [] as number[] },
    built: { cpu: [] as number[], wall: [] as number[] },
  };
  for (let r = 0; r < 2 * rounds; r++) {
    const way = r % 2 === 0 ? 'lazy' : 'built';
    const writing = targets.slice((r * share) % count, ((r * share) % count) + share);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const states = storedTargets(writing);
    await repo.commitCycle({
      watch: 'fleet',
      lastProcessed: T0,
      targets: way === 'lazy' ? states : [...states],
      anomalies: [],
      predictions: [],
      forgotten: [],
    });
    // Process CPU time: the collector's threads included, wherever its pauses fall.
    const cpu = process.cpuUsage(cpuBefore);
    figures[way].cpu.push((cpu.user + cpu.system) / 1000);
    figures[way].wall.push(performance.now() - started);
  }
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const { lazy, built } = figures;
  console.log(
    `  checkpoint of ${share.toLocaleString('en')} of ${count.toLocaleString('en')} trained targets, ${rounds} writes each way, alternately (median): ` +
      `each state built as written: CPU ${median(lazy.cpu).toFixed(0)} ms, wall ${median(lazy.wall).toFixed(0)} ms; ` +
      `all built first (before): CPU ${median(built.cpu).toFixed(0)} ms, wall ${median(built.wall).toFixed(0)} ms; ` +
      `CPU ratio ${(median(built.cpu) / median(lazy.cpu)).toFixed(2)} (load ${loadavg()[0].toFixed(1)})`
  );
}

/** Profiles this process from now until the returned function is called, which writes the profile to file. */
async function startProfile(file: string | undefined): Promise<(() => Promise<void>) | undefined> {
  if (!file) {
    return undefined;
  }
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile of the steady cycles written to ${file}`);
  };
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** The settings of the in-process targets the checkpoint and memory parts build (no watch behind them). */
function inMemorySettings(detailPoints: number): TargetSettings {
  return { detector: 'failureprophet', stepMs: STEP, probation: 30, closeAfter: 6, horizonSteps: 1440, detailPoints };
}

function memoryBench(count: number, detailPoints: number): void {
  const settings = inMemorySettings(detailPoints);
  collectGarbage();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const targets: TargetModel[] = [];
  const rng = new Random(2);
  const values = new Float64Array(1);
  for (let k = 0; k < count; k++) {
    const target = new TargetModel(`fleet{instance="i-${k}"}`, 'fleet', { instance: `i-${k}` }, null, settings, 0.27);
    target.signalIndex({ name: 'load', kind: 'other', limits: k % 10 === 0 ? { above: 1e9 } : undefined });
    targets.push(target);
  }
  // Two days at 30-minute steps: every bucket of the daily profile learned, the forecaster past its warm-up.
  let t = performance.now();
  const warm = 96;
  for (let i = 0; i < warm; i++) {
    for (let k = 0; k < count; k++) {
      values[0] = value(rng, i, k);
      targets[k].step(T0 + i * 30 * STEP, values);
    }
  }
  const perStep = (performance.now() - t) / warm;
  collectGarbage();
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const bytes = after - before;
  console.log(
    `  ${count.toLocaleString('en')} series (detailPoints ${detailPoints}): state ${(bytes / 2 ** 20).toFixed(0)} MiB (${Math.round(bytes / count).toLocaleString('en')} bytes/series); ` +
      `one step over all of them ${perStep.toFixed(0)} ms`
  );
  t = performance.now();
  const json = targets
    .slice(0, 1000)
    .map((x) => JSON.stringify(x.toState()))
    .join('').length;
  console.log(
    `  checkpoint size ${Math.round(json / 1000).toLocaleString('en')} bytes/series as JSON, ${((performance.now() - t) / 1000).toFixed(3)} s per 1,000 series`
  );
  targets.length = 0;
}

export async function run(): Promise<void> {
  const series = Number(process.env.FP_BENCH_SERIES ?? 10_000);
  console.log(`watch cycle, ${series.toLocaleString('en')} series at a ${WATCH_STEP / 1000} s step, real Prometheus:`);
  await cycleBench(series, HISTORY_STEPS + 30);
  await checkpointBench(series, 10);
  if (process.env.FP_BENCH_MEMORY === '0') {
    return;
  }
  console.log('streaming state in memory (heap + typed arrays, after GC):');
  memoryBench(100_000, 120);
  memoryBench(100_000, 0);
}
