import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface BackendRun {
  child: ChildProcess;
  /** The exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
  /** Resolves at the log line main writes once it listens; rejects if the process exits first. */
  started: Promise<void>;
  output: () => { stdout: string; stderr: string };
}

/**
 * Runs `src/server/main.ts` as one node process with tsx as its loader. Not the `tsx` command: that
 * runs main.ts in a second process and relays SIGTERM with 30 ms deadlines, after which it kills the
 * child and exits 143, so on a busy machine a clean shutdown looked like a crash.
 */
export function runBackend(env: Record<string, string>): BackendRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: ROOT,
    // A busy test machine can stretch one turn of the loop past the 200 ms default; callers may set it.
    env: { PATH: process.env.PATH ?? '', FP_MAX_EVENT_LOOP_DELAY: '1m', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that reap() takes anything it started with it.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('"msg":"failureprophet backend started"')) {
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`the backend exited (${code}) before it started: ${stderr}`)));
  });
  // Only the tests that wait for a start await it; an expected exit is not an unhandled rejection.
  started.catch(() => undefined);
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return { child, exited, started, output: () => ({ stdout, stderr }) };
}

/** Kills a run still going, with its process group, and waits until it is gone. */
export async function reap(run: BackendRun | undefined): Promise<void> {
  if (run && run.child.exitCode === null && run.child.signalCode === null) {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }
  await run?.exited;
}
