// The real backend as a child process, for crash tests: src/server/main.ts bundled once the way
// `npm run build:server` does it, run with plain node (one process, so SIGKILL kills it outright;
// and it starts in a second, where compiling on the fly takes many on a loaded machine).

import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bundleBackend } from '../harness/bundle';

const root = join(__dirname, '..', '..');

/** Bundles the backend below node_modules (so its npm imports resolve); returns the file and how to remove it. */
export async function buildBackend(): Promise<{ file: string; remove: () => void }> {
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'fp-crash-test-'));
  const file = await bundleBackend(dir);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Backend {
  url: string;
  proc: ChildProcess;
  output: () => string;
  kill(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const API_TOKEN = 'crash-test-token-0123456789';

export function writeConfig(dataDir: string, yaml: string): string {
  const file = join(dataDir, 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

export async function startBackend(options: {
  bundle: string;
  dataDir: string;
  kubeUrl: string;
  kubeToken: string;
  config: string;
}): Promise<Backend> {
  const port = await freePort();
  const proc = spawn(process.execPath, [options.bundle], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      FP_CONFIG: options.config,
      FP_DATA_DIR: options.dataDir,
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_API_TOKEN: API_TOKEN,
      FP_LOG_LEVEL: 'warn',
      FP_KUBE_URL: options.kubeUrl,
      FP_KUBE_TOKEN: options.kubeToken,
      // A busy test machine can stretch one turn of the loop past the 200 ms default.
      FP_MAX_EVENT_LOOP_DELAY: '1m',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // No time budget of its own (a loaded machine starts it slowly): it answers, or it exits, or the
  // test's own timeout ends the wait and afterEach kills it.
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`the backend exited (${proc.exitCode}):\n${output}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    proc,
    output: () => output,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export async function api(
  backend: Backend,
  method: string,
  path: string,
  body?: unknown,
  user?: string
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${backend.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(user ? { 'x-grafana-user': user } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

/**
 * Polls (tiny real waits: the child runs on real time) until `check` holds. No deadline of its own,
 * which a loaded machine could miss: the test's timeout bounds it, and says what it waited for.
 */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>
): Promise<T> {
  waitingFor = what;
  for (;;) {
    const value = await check();
    if (value) {
      waitingFor = undefined;
      return value;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

let waitingFor: string | undefined;
/** What an unfinished `until` was waiting for, for the test's failure message. */
export const stillWaitingFor = () => waitingFor;
