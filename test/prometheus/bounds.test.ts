import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { grafanaDataSourceClient } from '../../src/server/prometheus/grafana';
import { PrometheusError } from '../../src/server/prometheus/types';
import { startHugeUpstream, type HugeUpstream } from './hugeUpstream';

const MiB = 1024 * 1024;
const RANGE = { query: 'huge', start: 1_700_000_000_000, end: 1_700_000_600_000, stepMs: 60_000 };

describe('a Prometheus answer larger than the limit', () => {
  let upstream: HugeUpstream;
  beforeAll(async () => {
    upstream = await startHugeUpstream(100 * MiB);
  });
  afterAll(() => upstream.stop());

  it('is aborted while read, with a too_large error naming the limit and the setting, not retried', async () => {
    const client = new PrometheusClient({ baseUrl: upstream.url, timeoutMs: 120_000, maxResponseBytes: 4 * MiB });
    const error = await client.queryRange(RANGE).then(
      () => undefined,
      (err: unknown) => err
    );
    expect(error).toBeInstanceOf(PrometheusError);
    const e = error as PrometheusError;
    expect(e.kind).toBe('too_large');
    expect(e.transient).toBe(false);
    expect(e.message).toContain(
      'the answer was larger than 4 MiB; narrow the query or raise prometheus.maxResponseBytes'
    );
    // The upstream saw the hang-up: far less than the 100 MiB answer was ever sent.
    for (let i = 0; i < 3_000 && upstream.abortedAnswers() < 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(upstream.abortedAnswers()).toBe(1);
    expect(upstream.bytesSent()).toBeLessThan(20 * MiB);
  });

  it('is read whole when within the limit', async () => {
    const small = await startHugeUpstream(2 * MiB);
    try {
      const client = new PrometheusClient({ baseUrl: small.url, timeoutMs: 60_000, maxResponseBytes: 4 * MiB });
      const [series] = await client.queryRange(RANGE);
      expect(series.labels).toEqual({ __name__: 'huge' });
      expect(series.values.length).toBeGreaterThan(90_000);
      expect(series.values[0]).toBe(1.5);
    } finally {
      await small.stop();
    }
  });

  it('is refused before reading when its Content-Length says it is too large, through the Grafana proxy too', async () => {
    let hungUp = false;
    const server = createServer((req, res) => {
      res.setHeader('Content-Length', String(64 * MiB));
      res.setHeader('Content-Type', 'application/json');
      res.write('{"status":"success","data":');
      res.on('close', () => (hungUp = true));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const grafanaUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = grafanaDataSourceClient({
        grafanaUrl,
        token: 'sa-token',
        uid: 'prom',
        timeoutMs: 60_000,
        maxResponseBytes: MiB,
      });
      await expect(client.query('up')).rejects.toMatchObject({
        kind: 'too_large',
        message: expect.stringContaining('larger than 1 MiB'),
      });
      for (let i = 0; i < 3_000 && !hungUp; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(hungUp).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('defaults to 32 MiB', async () => {
    const client = new PrometheusClient({ baseUrl: upstream.url, timeoutMs: 120_000 });
    await expect(client.queryRange(RANGE)).rejects.toMatchObject({
      kind: 'too_large',
      message: expect.stringContaining('larger than 32 MiB'),
    });
  }, 60_000);
});

describe('credentials in a Prometheus URL', () => {
  it('are sent as Basic auth, and never shown in the client URL or its errors', async () => {
    let authorization: string | undefined;
    let url: string | undefined;
    const server = createServer((req, res) => {
      authorization = req.headers.authorization;
      url = req.url;
      res.statusCode = 503;
      res.end('down for maintenance');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const client = new PrometheusClient({ baseUrl: `http://reader:s3cr%40t@127.0.0.1:${port}/`, timeoutMs: 10_000 });
      expect(client.url).toBe(`http://reader:***@127.0.0.1:${port}`);
      const error = (await client.query('up').catch((e: unknown) => e)) as PrometheusError;
      expect(error.kind).toBe('http');
      expect(error.message).not.toContain('s3cr');
      expect(authorization).toBe(`Basic ${Buffer.from('reader:s3cr@t').toString('base64')}`);
      expect(url).toBe('/api/v1/query');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
