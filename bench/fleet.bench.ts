/**
 * A fleet in pipeline processes (issue 16): 10,000 and 100,000 series (FP_BENCH_FLEET, comma
 * separated), watched at a 30-minute step by one process and then by two processes side by side
 * (each given half of the targets by a hash of the target, the stand-in's `half` label), all in one
 * run on the same machine. Each process (bench/pipelineProcess.ts) replays a day of history (FP_BENCH_HISTORY_DAYS), then
 * runs FP_BENCH_CYCLES (30) cycles of one step; the bench reports its replay (wall and CPU time), its cycle time (median and max of
 * the cycles), its RSS after the last cycle and a forced GC, its peak RSS, and the ratio one / two;
 * then "settled": RSS two seconds and another GC later (once V8's unmapper thread has given back the
 * pages the GC freed), "committed": the V8 heap it keeps then, and "RSS replay": RSS after the replay.
 * Data come from bench/fleetSource.ts, an in-process stand-in for Prometheus' query_range.
 * FP_BENCH_PROCESSES=1 (or 2) runs only the one-process (or two-process) part.
 *
 * Each process runs as the backend is deployed: bundled by scripts/build-server.mjs (into dist-bench/),
 * with the Dockerfile CMD's node flags and its allocator settings (GLIBC_TUNABLES) and the NODE_OPTIONS
 * deploy/deployment.yaml sets (bench/fleetNode.ts), plus --expose-gc for the forced GCs.
 * FP_BENCH_NODE_OPTIONS replaces that NODE_OPTIONS (e.g. '' for none), FP_BENCH_GLIBC_TUNABLES those
 * settings ('' for glibc's defaults);
 * FP_BENCH_TSX=1 runs bench/pipelineProcess.ts under tsx instead of the bundle (how this bench ran before).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { deployedNode } from './fleetNode';
import { benchHistoryDays, startFleetSource } from './fleetSource';
import type { ProcessReport } from './pipelineProcess';

const MiB = 2 ** 20;
const ROOT = join(__dirname, '..');
/** Where the bench bundles its pipeline process (scripts/build-server.mjs with FP_BUILD_BENCH). */
const BUNDLE_DIR = join(ROOT, 'dist-bench');

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

/** How the pipeline processes are run: node's arguments, NODE_OPTIONS and the allocator's environment. */
interface ProcessCommand {
  args: string[];
  nodeOptions: string;
  allocator: Record<string, string>;
}

/** The command of this run (see the header), the bundle built first unless under tsx. */
function processCommand(): ProcessCommand {
  const deployed = deployedNode(ROOT);
  const nodeOptions = process.env.FP_BENCH_NODE_OPTIONS ?? deployed.nodeOptions;
  const tunables = process.env.FP_BENCH_GLIBC_TUNABLES;
  const allocator = tunables === undefined ? deployed.allocator : tunables === '' ? {} : { GLIBC_TUNABLES: tunables };
  if (process.env.FP_BENCH_TSX === '1') {
    return { args: ['--expose-gc', '--import', 'tsx', join(__dirname, 'pipelineProcess.ts')], nodeOptions, allocator };
  }
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, FP_BUILD_OUTDIR: BUNDLE_DIR, FP_BUILD_BENCH: '1' },
    stdio: 'inherit',
  });
  if (built.status !== 0) {
    throw new Error(`scripts/build-server.mjs ended with ${built.status ?? built.signal}`);
  }
  return {
    args: [...deployed.flags, '--expose-gc', join(BUNDLE_DIR, 'pipelineProcess.mjs')],
    nodeOptions,
    allocator,
  };
}

function runProcess(command: ProcessCommand, source: string, half: '0' | '1' | undefined): Promise<ProcessRun> {
  const child = spawn(process.execPath, command.args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: command.nodeOptions,
      ...command.allocator,
      FP_BENCH_SOURCE: source,
      FP_BENCH_CYCLES: process.env.FP_BENCH_CYCLES ?? '30',
      ...(half === undefined ? {} : { FP_BENCH_HALF: half }),
      // What bench/pipelineProcess.ts reads besides; the snapshot only of the one-process run (two would write one file).
      ...pass('FP_BENCH_DETAIL_POINTS'),
      ...pass('FP_BENCH_ANSWER_POINTS'),
      ...pass('FP_BENCH_HISTORY_DAYS'),
      ...(half === undefined ? pass('FP_BENCH_HEAP_SNAPSHOT') : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
      `${(r.settled.rss / MiB).toFixed(0).padStart(8)} ${(r.settled.heapTotal / MiB).toFixed(0).padStart(9)} ${(r.first.rss / MiB).toFixed(0).padStart(10)} ` +
      `${((r.first.maxLoopDelayMs ?? NaN) / 1000).toFixed(1).padStart(11)}`
  );
  return { cycle, rss: r.end.rss };
}

export async function run(): Promise<void> {
  const sizes = (process.env.FP_BENCH_FLEET ?? '10000,100000').split(',').map(Number);
  const parts = (process.env.FP_BENCH_PROCESSES ?? '1,2').split(',');
  const command = processCommand();
  console.log(
    `pipeline processes on an in-process query_range stand-in, 30 m step, ${benchHistoryDays()} d replayed, then one step per cycle:`
  );
  const allocator = Object.entries(command.allocator).map(([key, value]) => `${key}=${value} `);
  console.log(
    `  run as: ${allocator.join('')}NODE_OPTIONS=${JSON.stringify(command.nodeOptions)} node ${command.args.join(' ')}`
  );
  console.log(
    `  ${'process'.padEnd(34)} ${'series'.padStart(8)} ${'replay s'.padStart(8)} ${'CPU s'.padStart(7)} ${'cycle ms'.padStart(8)} ${'max ms'.padStart(7)} ` +
      `${'RSS MiB'.padStart(8)} ${'heap MiB'.padStart(8)} ${'arrays'.padStart(7)} ${'peak RSS'.padStart(9)} ` +
      `${'settled'.padStart(8)} ${'committed'.padStart(9)} ${'RSS replay'.padStart(10)} ${'blocked s'.padStart(11)}`
  );
  for (const size of sizes) {
    const source = await startFleetSource(size);
    try {
      const one = parts.includes('1')
        ? line(`${size.toLocaleString('en')}: one process`, await runProcess(command, source.url, undefined))
        : undefined;
      if (!parts.includes('2')) {
        continue;
      }
      const [a, b] = await Promise.all([runProcess(command, source.url, '0'), runProcess(command, source.url, '1')]);
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
