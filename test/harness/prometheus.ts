/**
 * Starts Debian's real `prometheus` for a test, on a free loopback port, with an empty scrape
 * config and a TSDB backfilled by `promtool tsdb create-blocks-from openmetrics`.
 *
 *   const prom = await startPrometheus([{ name: 'temp', labels: { job: 'm' }, timestamps, values }]);
 *   ... prom.url ...
 *   await prom.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toOpenMetrics, type BackfillSeries } from './openmetrics';

export interface RunningPrometheus {
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server (SIGTERM) and removes its data unless keepData. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

const INSTALL_HINT = "run `bash scripts/install-test-deps.sh` (it installs Debian's prometheus package)";

export function requireBinary(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(`${name} is not installed: ${INSTALL_HINT}`);
  }
  return path;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))
      );
    });
  });
}

/** Backfills the series into dataDir with promtool (blocks up to 30 days long, as the issue asks). */
export function backfill(series: BackfillSeries[], dataDir: string): void {
  const promtool = requireBinary('promtool');
  const input = join(dataDir, '..', `backfill-${process.pid}-${Date.now()}.om`);
  writeFileSync(input, toOpenMetrics(series));
  const result = spawnSync(
    promtool,
    ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=720h', input, dataDir],
    {
      encoding: 'utf8',
    }
  );
  rmSync(input, { force: true });
  if (result.status !== 0) {
    throw new Error(`promtool backfill failed: ${result.stderr || result.stdout}`);
  }
}

export async function startPrometheus(
  series: BackfillSeries[] = [],
  options: { dataDir?: string } = {}
): Promise<RunningPrometheus> {
  const binary = requireBinary('prometheus');
  const root = mkdtempSync(join(tmpdir(), 'fp-prom-'));
  const dataDir = options.dataDir ?? join(root, 'data');
  if (series.length > 0) {
    backfill(series, dataDir);
  }
  const configFile = join(root, 'prometheus.yml');
  writeFileSync(configFile, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
  const port = await freePort();
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Backfilled fixtures are years old: keep them.
      '--storage.tsdb.retention.time=100y',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, () => stderr);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    dataDir,
    stop: async ({ keepData = false } = {}) => {
      await stopProcess(child);
      if (!keepData) {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited with ${child.exitCode}: ${stderr()}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus did not become ready within 60 s: ${stderr()}`);
}

export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
