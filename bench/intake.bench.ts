/**
 * The alert intake (round 19, intake19): one Alertmanager webhook POST of 1,000 and 10,000 firing
 * alerts (FP_BENCH_INTAKE_ALERTS, comma separated), approve-gate restart policy, one deployment per
 * alert in the Kubernetes test server. Each group is taken in by a process of its own
 * (bench/intakeProcess.ts), old code and new alternating (FP_BENCH_INTAKE_ROUNDS rounds, 1): the new is
 * this tree, the old a `git archive` of FP_BENCH_INTAKE_BASE (main) unpacked into a temporary folder.
 * The Kubernetes test server runs in this process, so the figures are the engine's own: wall time of
 * the answer, CPU time of the engine's process meanwhile, and its event loop's longest delay
 * (perf_hooks.monitorEventLoopDelay). With the machine's load average at each run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployment } from '../test/kube/objects';
import { startKubeTestServer } from '../test/kube/server';

const ROOT = join(__dirname, '..');
const SIZES = (process.env.FP_BENCH_INTAKE_ALERTS ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.FP_BENCH_INTAKE_ROUNDS ?? 1);
const BASE = process.env.FP_BENCH_INTAKE_BASE ?? 'main';
const TOKEN = 'bench-kube-token';

interface Report {
  alerts: number;
  wallMs: number;
  cpuMs: number;
  maxLoopDelayMs: number;
  firing: number;
  proposed: number;
}

/** The code of `ref` in a temporary folder, sharing this tree's node_modules. */
export function checkout(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fp-intake-'));
  const archive = spawnSync('bash', ['-c', `git archive ${ref} | tar -x -C ${dir}`], { cwd: ROOT });
  if (archive.status !== 0) {
    throw new Error(`git archive ${ref} failed: ${archive.stderr}`);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function once(root: string, alerts: number): Promise<Report> {
  const kube = await startKubeTestServer({ token: TOKEN });
  for (let i = 0; i < alerts; i++) {
    kube.add(deployment({ namespace: 'shop', name: `web-${i}` }));
  }
  try {
    return await new Promise<Report>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'intakeProcess.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          FP_INTAKE_ROOT: root,
          FP_INTAKE_ALERTS: String(alerts),
          FP_INTAKE_KUBE_URL: kube.url,
          FP_INTAKE_KUBE_TOKEN: TOKEN,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const line = out.trim().split('\n').pop() ?? '';
        code === 0 ? resolve(JSON.parse(line)) : reject(new Error(`intake process exited ${code}: ${out}`));
      });
    });
  } finally {
    await kube.close();
  }
}

const cell = (v: number, w: number) => (Number.isFinite(v) ? v.toFixed(0) : '-').padStart(w);

export async function run(): Promise<void> {
  const old = checkout(BASE);
  try {
    console.log(
      `old: ${BASE} (git archive), new: this tree; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`
    );
    console.log('alerts  code   answer ms   CPU ms   max loop delay ms   proposed   load (1 min)');
    for (const alerts of SIZES) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, root] of [
          ['old', old],
          ['new', ROOT],
        ] as const) {
          const r = await once(root, alerts);
          console.log(
            `${cell(alerts, 6)}  ${name}  ${cell(r.wallMs, 10)} ${cell(r.cpuMs, 8)} ${cell(r.maxLoopDelayMs, 19)} ${cell(r.proposed, 10)}   ${loadavg()[0].toFixed(2)}`
          );
        }
      }
    }
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
}
