/**
 * One pipeline process of the fleet bench (bench/fleet.bench.ts starts it bundled as the backend is,
 * or under tsx): the backend's Pipeline with its SQLite store, the real
 * Prometheus client over HTTP to the bench's stand-in, and a clock the process advances one step
 * per cycle (so a day of steps takes minutes, not a day). It replays the watch's history, runs
 * `FP_BENCH_CYCLES` cycles of one step, and writes one JSON line per cycle and one at the end
 * on stdout: cycle time, RSS and heap, so the parent reads what this process holds.
 *
 * Environment: FP_BENCH_SOURCE (the stand-in's URL), FP_BENCH_HALF ("0" / "1": only that half of
 * the targets, by the stand-in's `half` label; unset: all), FP_BENCH_CYCLES, FP_BENCH_DETAIL_POINTS,
 * FP_BENCH_HEAP_SNAPSHOT (a file: a heap snapshot after the last cycle, to see where the bytes are),
 * FP_BENCH_ANSWER_POINTS (pipeline.maxPointsPerAnswer; unset: its default), FP_BENCH_HISTORY_DAYS.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import pino from 'pino';
import { Registry } from 'prom-client';
import { systemClock } from '../src/server/clock';
import { configSchema } from '../src/server/config/schema';
import { Pipeline } from '../src/server/pipeline/pipeline';
import { openSqliteStore } from '../src/server/store/sqlite';
import { BENCH_WAL_CHECKPOINTS } from './benchStore';
import { benchHistoryDays } from './fleetSource';

export const BENCH_STEP_MS = 30 * 60_000;
/** The start of the replayed history: FP_BENCH_HISTORY_DAYS days before the first cycle. */
export const BENCH_T0 = Date.UTC(2025, 5, 2);
/** How long the process idles after the last cycle's GC before RSS is read again (the 'settled' report). */
const SETTLE_MS = 2000;

export interface ProcessReport {
  /** end: right after the last cycle and a forced GC; settled: a second later and another GC (V8 unmaps freed pages on a background thread). */
  kind: 'first' | 'cycle' | 'end' | 'settled';
  cycleMs: number;
  /** CPU time (user + system) of the cycle: what a loaded machine does not inflate as it does wall time. */
  cpuMs: number;
  series: number;
  targets: number;
  rss: number;
  heapUsed: number;
  /** V8 heap committed (used, free and fragmented): beside heapUsed, what the heap keeps but does not use. */
  heapTotal: number;
  /** Typed arrays' backing stores (outside the V8 heap, inside RSS). */
  arrayBuffers: number;
  /** Peak RSS of the process so far (VmHWM). */
  peakRss: number;
  /** The longest the event loop waited during the run reported (first: the replay), ms: what /healthz would have waited. */
  maxLoopDelayMs?: number;
  spaces?: Record<string, number>;
}

function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function report(r: Omit<ProcessReport, 'rss' | 'heapUsed' | 'heapTotal' | 'arrayBuffers' | 'peakRss'>): void {
  const m = process.memoryUsage();
  const line: ProcessReport = {
    ...r,
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    arrayBuffers: m.arrayBuffers,
    peakRss: peakRss(),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const half = process.env.FP_BENCH_HALF;
  const selector = (name: string) => (half === undefined ? name : `${name}{half="${half}"}`);
  const cycles = Number(process.env.FP_BENCH_CYCLES ?? 30);
  const dataDir = mkdtempSync(join(tmpdir(), 'fp-bench-fleet-'));
  // As main opens it: the WAL written back on a worker thread (its isolate counted in this process's memory).
  const store = openSqliteStore(dataDir, Date.now, { walCheckpoints: BENCH_WAL_CHECKPOINTS });
  const days = benchHistoryDays();
  let now = BENCH_T0 + days * 86_400_000;
  const config = configSchema.parse({
    // The default answer limit (32 MiB): answers are sized by the series (pipeline.maxPointsPerAnswer),
    // one step of 90,000 series is about 9 MiB. Chunks of ten steps (the least maxPointsPerQuery allows)
    // are checkpointed one by one.
    prometheus: { url: process.env.FP_BENCH_SOURCE, timeout: '120s' },
    pipeline: {
      maxPointsPerQuery: 10,
      detailPoints: Number(process.env.FP_BENCH_DETAIL_POINTS ?? 120),
      // Unset: the default; set, the replay's answers are sized by it (series x steps).
      ...(process.env.FP_BENCH_ANSWER_POINTS ? { maxPointsPerAnswer: Number(process.env.FP_BENCH_ANSWER_POINTS) } : {}),
    },
    watches: [
      {
        name: 'fleet',
        queries: { load: selector('bench_load'), memory: selector('bench_memory_ratio') },
        target: ['instance'],
        step: '30m',
        history: `${days}d`,
        lag: 0,
        limits: { memory: 1 },
      },
    ],
  });
  const pipeline = new Pipeline({
    config,
    repository: store.pipeline,
    logger: pino({ level: 'warn' }, pino.destination(2)),
    metrics: new Registry(),
    clock: { ...systemClock, now: () => now },
  });
  try {
    await pipeline.init();
    const status = () => pipeline.watches()[0];
    let t = performance.now();
    let cpu = process.cpuUsage();
    const cpuMs = () => {
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000;
    };
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    await pipeline.runOnce();
    delay.disable();
    report({
      kind: 'first',
      cycleMs: performance.now() - t,
      cpuMs: cpuMs(),
      maxLoopDelayMs: delay.max / 1e6,
      series: status().series,
      targets: status().targets,
    });
    for (let c = 0; c < cycles; c++) {
      now += BENCH_STEP_MS;
      t = performance.now();
      cpu = process.cpuUsage();
      await pipeline.runOnce();
      if (status().degraded) {
        throw new Error(`bench watch degraded: ${status().lastError?.message}`);
      }
      report({
        kind: 'cycle',
        cycleMs: performance.now() - t,
        cpuMs: cpuMs(),
        series: status().series,
        targets: status().targets,
      });
    }
    // What the process keeps, not garbage not yet collected.
    (globalThis as { gc?: () => void }).gc?.();
    const spaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) {
      spaces[s.space_name] = s.space_used_size;
    }
    report({ kind: 'end', cycleMs: NaN, cpuMs: NaN, series: status().series, targets: status().targets, spaces });
    // The pages that GC freed are given back by V8's unmapper thread after it returns: read RSS again once it has run.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    (globalThis as { gc?: () => void }).gc?.();
    report({ kind: 'settled', cycleMs: NaN, cpuMs: NaN, series: status().series, targets: status().targets });
    if (process.env.FP_BENCH_HEAP_SNAPSHOT) {
      writeHeapSnapshot(process.env.FP_BENCH_HEAP_SNAPSHOT);
    }
  } finally {
    await pipeline.stop();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
