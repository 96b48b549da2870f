import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleBackend } from '../harness/bundle';
import { freePort } from '../harness/prometheus';

const ROOT = join(__dirname, '..', '..');

export interface BackendProcess {
  base: string;
  token: string;
  pid: number;
  child: ChildProcess;
  output: () => string;
  /** Peak resident memory of the process so far (VmHWM), in bytes. */
  peakRssBytes: () => number;
  /** Kills the process (SIGKILL after 10 s) and removes its files. */
  stop: () => Promise<void>;
}

/**
 * Builds the backend as `npm run build:server` does (one ESM bundle, packages external) into a
 * temporary folder and runs it with node, as the container does, with the given YAML config.
 * The caller must `stop()` it in `finally`.
 */
export async function startBuiltBackend(configYaml: string): Promise<BackendProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-built-'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  await bundleBackend(dir);
  writeFileSync(join(dir, 'config.yaml'), configYaml);
  const port = await freePort();
  const token = 'bounds-test-token-0123456789';
  const child = spawn(process.execPath, [join(dir, 'main.mjs')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      FP_CONFIG: join(dir, 'config.yaml'),
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_DATA_DIR: join(dir, 'data'),
      FP_API_TOKEN: token,
      // A busy test machine can stretch one turn of the loop past the 200 ms default.
      FP_MAX_EVENT_LOOP_DELAY: '1m',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return {
    base,
    token,
    pid: child.pid!,
    child,
    output: () => output,
    peakRssBytes: () => {
      const line = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
      if (!line) {
        throw new Error(`no VmHWM in /proc/${child.pid}/status`);
      }
      return Number(line[1]) * 1024;
    },
    stop,
  };
}

/** Polls /healthz until it answers; gives up when the process exits or after 120 polls of up to 1 s. */
async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) {
      throw new Error(`the backend exited with ${child.exitCode}`);
    }
    const ok = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) {
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the backend did not answer /healthz');
}
