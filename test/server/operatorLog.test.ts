import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/server/logger';
import { reap, runBackend } from '../harness/backend';
import { buildServer } from '../../src/server/http/server';
import { createMetricsRegistry } from '../../src/server/metrics';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import type { RangeSeries } from '../../src/server/prometheus/types';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { dataDirFailure, listenFailure } from '../../src/server/startup';
import { buildPipeline, TestClock } from '../pipeline/helpers';

/** The log stream as an operator reads it: one parsed JSON object per line. */
function capture(level = 'info') {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((l: string) => JSON.parse(l))
      );
      done();
    },
  });
  return { lines, messages: () => lines.map((l) => l.msg), logger: createLogger(level, stream) };
}

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 12);

/** A querier that answers each query from a table: a series per instance for known queries, nothing for the rest. */
function querier(matching: Record<string, string[]>): RangeQuerier {
  return {
    async queryRange({ query, start, end, stepMs }): Promise<RangeSeries[]> {
      return (matching[query] ?? []).map((instance) => {
        const n = Math.floor((end - start) / stepMs) + 1;
        const timestamps = Float64Array.from({ length: n }, (_, i) => start + i * stepMs);
        return { labels: { instance }, timestamps, values: timestamps.map((t) => 0.5 + 0.01 * Math.sin(t / 6e5)) };
      });
    },
  };
}

describe('the log an operator reads at start', () => {
  const watches = [
    {
      name: 'node-disk',
      queries: { disk: 'node_filesystem_avail_bytes' },
      target: ['instance'],
      step: '1m',
      history: '1h',
    },
    {
      name: 'pods',
      queries: { cpu: 'rate(container_cpu_usage_seconds_total[5m])', memory: 'kube_pod_container_resource_limits' },
      target: ['instance'],
      step: '1m',
      history: '1h',
    },
    { name: 'app', queries: { latency: 'app_latency_seconds' }, target: ['instance'], step: '1m', history: '1h' },
  ];

  it('says per watch how many series each query matched, and why one matched none', async () => {
    const log = capture();
    const clock = new TestClock(T0);
    const h = buildPipeline({ watches }, clock, {
      extra: {
        logger: log.logger,
        querierFor: () =>
          querier({ 'rate(container_cpu_usage_seconds_total[5m])': ['a', 'b'], app_latency_seconds: ['web-1'] }),
      },
    });
    try {
      await h.pipeline.runOnce();
      clock.advance(HOUR);
      await h.pipeline.runOnce();
      // The match report (learning progress has lines of its own, tested with the pipeline).
      const lines = log.messages().filter((m) => /^watch \S+: \d+ series/.test(m));
      // Once per watch, after its first cycle only.
      expect(lines.sort()).toEqual([
        'watch app: 1 series, 1 target (latency 1)',
        'watch node-disk: 0 series: the query returned nothing; is node-exporter scraped?',
        'watch pods: 2 series, 2 targets (cpu 2, memory 0); memory matched none (is kube-state-metrics scraped?)',
      ]);
      const zero = log.lines.find((l) => l.msg.startsWith('watch node-disk'))!;
      expect(zero.level).toBe(40);
    } finally {
      await h.close(true);
    }
  });

  it('says again what a watch matched once a watch that matched nothing first has series, and only then', async () => {
    // A Prometheus started with the backend: nothing scraped yet at the first cycle, node-exporter a few cycles later.
    const log = capture();
    const clock = new TestClock(T0);
    const scraped: string[] = [];
    const h = buildPipeline({ watches: [watches[0]] }, clock, {
      extra: { logger: log.logger, querierFor: () => querier({ node_filesystem_avail_bytes: scraped }) },
    });
    try {
      await h.pipeline.runOnce();
      clock.advance(60_000);
      await h.pipeline.runOnce();
      scraped.push('node-1');
      for (let i = 0; i < 3; i++) {
        clock.advance(60_000);
        await h.pipeline.runOnce();
      }
      expect(log.messages().filter((m) => /^watch \S+: \d+ series/.test(m))).toEqual([
        'watch node-disk: 0 series: the query returned nothing; is node-exporter scraped?',
        'watch node-disk: 1 series, 1 target (disk 1)',
      ]);
    } finally {
      await h.close(true);
    }
  });

  it('warns when no series has one of the target labels: every series falls into one target', async () => {
    const log = capture();
    const misspelt = { ...watches[2], target: ['instance', 'pod'] };
    const h = buildPipeline({ watches: [misspelt] }, new TestClock(T0), {
      extra: { logger: log.logger, querierFor: () => querier({ app_latency_seconds: ['web-1', 'web-2'] }) },
    });
    try {
      await h.pipeline.runOnce();
      const line = log.lines.find((l) => l.msg.startsWith('watch app: 2 series'))!;
      expect(line.msg).toBe(
        'watch app: 2 series, 2 targets (latency 2); no series has the target label "pod", so it does not tell targets apart (is it misspelt in the watch\'s target, or aggregated away by its queries?)'
      );
      expect(line.level).toBe(40);
    } finally {
      await h.close(true);
    }
  });

  it('lists watches that are off for want of Prometheus in /api/watches terms, with their state', async () => {
    const log = capture();
    const h = buildPipeline({ watches }, new TestClock(T0), { extra: { logger: log.logger } });
    try {
      const listed = h.pipeline.watches();
      expect(listed.map((w) => w.name)).toEqual(['node-disk', 'pods', 'app']);
      for (const w of listed) {
        expect(w.degraded).toBe(true);
        expect(w.source).toBe('none');
        expect(w.lastError).toEqual({
          kind: 'unconfigured',
          message: "the watch is off: it has no data source: set FP_PROMETHEUS_URL or the watch's source",
          at: T0,
        });
      }
      expect(log.messages()).toContain(
        "watch node-disk has no data source: set FP_PROMETHEUS_URL or the watch's source; the watch is off until then"
      );
    } finally {
      await h.close(true);
    }
  });
});

describe('request logs', () => {
  const build = async (level: string, slowMs?: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-reqlog-'));
    const store = openSqliteStore(dir);
    const log = capture(level);
    const app = await buildServer({
      logger: log.logger,
      apiToken: 'a-token-of-sixteen-chars',
      store,
      metrics: createMetricsRegistry(),
      version: 'test',
    });
    if (slowMs !== undefined) {
      // What a slow request looks like, without waiting: every request takes at least 0 ms.
      const { registerRequestLog } = await import('../../src/server/http/requestLog');
      registerRequestLog(app, slowMs);
    }
    return {
      app,
      log,
      close: async () => {
        await app.close();
        store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };

  it('writes nothing at info for a successful request, one debug line at debug', async () => {
    const quiet = await build('info');
    try {
      await quiet.app.inject({ method: 'GET', url: '/metrics' });
      await quiet.app.inject({ method: 'GET', url: '/healthz' });
      expect(quiet.log.lines).toEqual([]);
    } finally {
      await quiet.close();
    }
    const verbose = await build('debug');
    try {
      await verbose.app.inject({ method: 'GET', url: '/healthz' });
      expect(verbose.log.lines).toEqual([
        expect.objectContaining({ level: 20, msg: 'request', method: 'GET', url: '/healthz', status: 200 }),
      ]);
    } finally {
      await verbose.close();
    }
  });

  it('keeps a refused request at info, in one line, without the token', async () => {
    const s = await build('info');
    try {
      await s.app.inject({ method: 'GET', url: '/api/targets?x=1', headers: { authorization: 'Bearer wrong' } });
      expect(s.log.lines).toHaveLength(1);
      expect(s.log.lines[0].level).toBe(30);
      expect(s.log.lines[0].msg).toMatch(/^GET \/api\/targets answered 401 in \d+ ms$/);
      expect(JSON.stringify(s.log.lines)).not.toContain('wrong');
    } finally {
      await s.close();
    }
  });

  it('keeps a slow request at info', async () => {
    const s = await build('info', 0);
    try {
      await s.app.inject({ method: 'GET', url: '/healthz' });
      expect(s.log.messages()).toEqual([expect.stringMatching(/^GET \/healthz answered 200 in \d+ ms$/)]);
    } finally {
      await s.close();
    }
  });
});

describe('start-up failures in one sentence', () => {
  it('says the port is in use and what to do', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const second = createServer();
    try {
      const err = await new Promise<Error>((resolve) => {
        second.once('error', resolve);
        second.listen(port, '127.0.0.1');
      });
      expect(listenFailure(err, '127.0.0.1', port).message).toBe(
        `port ${port} on 127.0.0.1 is already in use by another process: stop that process or set FP_PORT to a free port`
      );
    } finally {
      second.close();
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('says the data directory cannot be used and why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-datadir-'));
    try {
      const file = join(dir, 'not-a-dir');
      writeFileSync(file, '');
      const dataDir = join(file, 'data');
      let failure: Error | undefined;
      try {
        openSqliteStore(dataDir).close();
      } catch (err) {
        failure = dataDirFailure(err, dataDir);
      }
      expect(failure?.message).toBe(
        `cannot use the data directory ${dataDir}: part of the path is a file, not a directory; set FP_DATA_DIR to an absolute path of a directory the backend can write`
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the backend process at start', () => {
  it('ends with one sentence on stderr, no stack trace, when its port is taken', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'fp-port-'));
    const run = runBackend({ FP_PORT: String(port), FP_HOST: '127.0.0.1', FP_DATA_DIR: dir, FP_LOG_LEVEL: 'error' });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output().stderr).toBe(
        `failureprophet: port ${port} on 127.0.0.1 is already in use by another process: stop that process or set FP_PORT to a free port\n`
      );
    } finally {
      await reap(run);
      await new Promise((resolve) => holder.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
