/**
 * A fleet in pipeline processes (issue 16): 10,000 and 100,000 series (FP_BENCH_FLEET, comma
 * separated), watched at a 30-minute step by one process and then by two processes side by side
 * (each given half of the targets by a hash of the target, the stand-in's `half` label), all in one
 * run on the same machine. Each process (bench/pipelineProcess.ts) replays a day of history, then
 * runs FP_BENCH_CYCLES (30) cycles of one step; the bench reports its replay (wall and CPU time), its cycle time (median and max of
 * the cycles), its RSS after the last cycle and a forced GC, its peak RSS, and the ratio one / two;
 * then "settled": RSS two seconds and another GC later (once V8's unmapper thread has given back the
 * pages the GC freed), "committed": the V8 heap it keeps then, and "RSS replay": RSS after the replay.
 * Data come from bench/fleetSource.ts, an in-process stand-in for Prometheus' query_range.
 * FP_BENCH_PROCESSES=1 (or 2) runs only the one-process (or two-process) part.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startFleetSource } from './fleetSource';
import type { ProcessReport } from './pipelineProcess';

const MiB = 2 ** 20;

interface ProcessRun {
  first: ProcessReport;
  cycles: ProcessReport[];
  end: ProcessReport;
  settled: ProcessReport;
}

/** The variable as the parent has it, when set. */
const pass = (name: string): Record<string, string> =>
  process.env[name] === undefined ? {} : { [name]: process.env[name] as string };

/** Pipeline processes still running: a failed run takes its sibling down with it. */
const running = new Set<ChildProcess>();

function runProcess(source: string, half: '0' | '1' | undefined): Promise<ProcessRun> {
  // FP_BENCH_NODE_OPTIONS: node's own options for the pipeline processes (e.g. a heap cap, --max-old-space-size=768).
  const nodeOptions = (process.env.FP_BENCH_NODE_OPTIONS ?? '').split(' ').filter((o) => o !== '');
  const child = spawn(
    process.execPath,
    [...nodeOptions, '--expose-gc', '--import', 'tsx', join(__dirname, 'pipelineProcess.ts')],
    {
      cwd: join(__dirname, '..'),
      env: {
        PATH: process.env.PATH ?? '',
        FP_BENCH_SOURCE: source,
        FP_BENCH_CYCLES: process.env.FP_BENCH_CYCLES ?? '30',
        ...(half === undefined ? {} : { FP_BENCH_HALF: half }),
        // What bench/pipelineProcess.ts reads besides; the snapshot only of the one-process run (two would write one file).
        ...pass('FP_BENCH_DETAIL_POINTS'),
        ...pass('FP_BENCH_ANSWER_POINTS'),
        ...(half === undefined ? pass('FP_BENCH_HEAP_SNAPSHOT') : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    }
  );
  running.add(child);
  const reports: ProcessReport[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => reports.push(JSON.parse(line) as ProcessReport));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      running.delete(child);
      const first = reports.find((r) => r.kind === 'first');
      const end = reports.find((r) => r.kind === 'end');
      const settled = reports.find((r) => r.kind === 'settled');
      if (code !== 0 || !first || !end || !settled) {
        reject(new Error(`a pipeline process ended with ${code ?? signal} before its last report`));
        return;
      }
      resolve({ first, cycles: reports.filter((r) => r.kind === 'cycle'), end, settled });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function line(label: string, r: ProcessRun): { cycle: number; rss: number } {
  const times = r.cycles.map((c) => c.cycleMs);
  const cycle = median(times);
  console.log(
    `  ${label.padEnd(34)} ${r.end.series.toLocaleString('en').padStart(8)} ${(r.first.cycleMs / 1000).toFixed(1).padStart(8)} ` +
      `${(r.first.cpuMs / 1000).toFixed(1).padStart(7)} ` +
      `${cycle.toFixed(0).padStart(8)} ${Math.max(...times)
        .toFixed(0)
        .padStart(7)} ${(r.end.rss / MiB).toFixed(0).padStart(8)} ` +
      `${(r.end.heapUsed / MiB).toFixed(0).padStart(8)} ${(r.end.arrayBuffers / MiB).toFixed(0).padStart(7)} ${(r.end.peakRss / MiB).toFixed(0).padStart(9)} ` +
      `${(r.settled.rss / MiB).toFixed(0).padStart(8)} ${(r.settled.heapTotal / MiB).toFixed(0).padStart(9)} ${(r.first.rss / MiB).toFixed(0).padStart(10)}`
  );
  return { cycle, rss: r.end.rss };
}

export async function run(): Promise<void> {
  const sizes = (process.env.FP_BENCH_FLEET ?? '10000,100000').split(',').map(Number);
  const parts = (process.env.FP_BENCH_PROCESSES ?? '1,2').split(',');
  console.log(
    'pipeline processes on an in-process query_range stand-in, 30 m step, 1 d replayed, then one step per cycle:'
  );
  console.log(
    `  ${'process'.padEnd(34)} ${'series'.padStart(8)} ${'replay s'.padStart(8)} ${'CPU s'.padStart(7)} ${'cycle ms'.padStart(8)} ${'max ms'.padStart(7)} ` +
      `${'RSS MiB'.padStart(8)} ${'heap MiB'.padStart(8)} ${'arrays'.padStart(7)} ${'peak RSS'.padStart(9)} ` +
      `${'settled'.padStart(8)} ${'committed'.padStart(9)} ${'RSS replay'.padStart(10)}`
  );
  for (const size of sizes) {
    const source = await startFleetSource(size);
    try {
      const one = parts.includes('1')
        ? line(`${size.toLocaleString('en')}: one process`, await runProcess(source.url, undefined))
        : undefined;
      if (!parts.includes('2')) {
        continue;
      }
      const [a, b] = await Promise.all([runProcess(source.url, '0'), runProcess(source.url, '1')]);
      const two = [line(`${size.toLocaleString('en')}: two processes, half 0`, a), line('    half 1', b)];
      const slower = Math.max(two[0].cycle, two[1].cycle);
      const larger = Math.max(two[0].rss, two[1].rss);
      if (!one) {
        continue;
      }
      console.log(
        `  ${size.toLocaleString('en')} series, one / two processes: cycle ${(one.cycle / slower).toFixed(2)}x (the slower half), ` +
          `RSS per process ${(one.rss / larger).toFixed(2)}x (the larger half), RSS in all ${(one.rss / (two[0].rss + two[1].rss)).toFixed(2)}x`
      );
    } finally {
      for (const child of running) {
        child.kill('SIGKILL');
      }
      await source.stop();
    }
  }
}
