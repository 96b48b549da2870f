import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { readMatrix } from '../../src/server/prometheus/matrix';
import { readMatrixText } from '../../src/server/prometheus/matrixText';
import { PrometheusError } from '../../src/server/prometheus/types';
import { nabAvailable, readNabSeries } from '../harness/nab';
import type { BackfillSeries } from '../harness/openmetrics';
import { freePort, startPrometheus, type RunningPrometheus } from '../harness/prometheus';

const STEP_MS = 5 * 60_000;
// A generated series with NaN and a gap, next to a NAB series when ../shared/nab is there.
const T0 = Date.UTC(2024, 0, 1);
const generated = {
  name: 'fp_test_gauge',
  labels: { job: 'generated', instance: 'a' },
  timestamps: Array.from({ length: 288 }, (_, i) => T0 + i * STEP_MS).filter((_, i) => i < 100 || i >= 150),
  values: [] as number[],
};
generated.values = generated.timestamps.map((t, i) => (i === 10 ? NaN : Math.sin((t - T0) / 3_600_000)));

describe('PrometheusClient against a real Prometheus', () => {
  let prom: RunningPrometheus;
  let client: PrometheusClient;
  const nab = nabAvailable() ? readNabSeries('realKnownCause/machine_temperature_system_failure.csv') : undefined;

  beforeAll(async () => {
    if (!nab) {
      console.warn('NAB data not found beside the checkout: the NAB part of the Prometheus client test is skipped');
    }
    const series: BackfillSeries[] = [generated];
    if (nab) {
      series.push({
        name: 'machine_temperature',
        labels: { job: 'machine' },
        timestamps: Array.from(nab.timestamps),
        values: Array.from(nab.values),
      });
    }
    prom = await startPrometheus(series);
    client = new PrometheusClient({ baseUrl: prom.url, timeoutMs: 10_000 });
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
  });

  it('answers a range query with the backfilled samples, NaN kept', async () => {
    const [series] = await client.queryRange({
      query: 'fp_test_gauge',
      start: T0,
      end: T0 + 99 * STEP_MS,
      stepMs: STEP_MS,
    });
    expect(series.labels).toEqual({ __name__: 'fp_test_gauge', job: 'generated', instance: 'a' });
    expect(series.timestamps).toHaveLength(100);
    expect(series.timestamps[0]).toBe(T0);
    expect(series.timestamps[99]).toBe(T0 + 99 * STEP_MS);
    expect(Number.isNaN(series.values[10])).toBe(true);
    expect(series.values[50]).toBeCloseTo(Math.sin((50 * STEP_MS) / 3_600_000), 10);
  });

  it('leaves a gap longer than the lookback out of the answer', async () => {
    const [series] = await client.queryRange({
      query: 'fp_test_gauge',
      start: T0 + 90 * STEP_MS,
      end: T0 + 160 * STEP_MS,
      stepMs: STEP_MS,
    });
    const times = Array.from(series.timestamps);
    // Samples stop at index 99 and resume at 150; the 5-minute lookback fills only the step right after.
    expect(times).toContain(T0 + 99 * STEP_MS);
    expect(times).not.toContain(T0 + 120 * STEP_MS);
    expect(times).toContain(T0 + 150 * STEP_MS);
  });

  it("asks a loopback Prometheus for an uncompressed answer, and leaves fetch's default (gzip) to any other host", async () => {
    const query = { query: 'fp_test_gauge', start: T0, end: T0 + 99 * STEP_MS, stepMs: STEP_MS };
    const encodings: Array<string | null> = [];
    const recording = (async (url: string, init: RequestInit) => {
      const response = await fetch(url, init);
      encodings.push(response.headers.get('content-encoding'));
      return response;
    }) as typeof fetch;
    const [series] = await new PrometheusClient({ baseUrl: prom.url, timeoutMs: 10_000, fetch: recording }).queryRange(
      query
    );
    expect(series.timestamps).toHaveLength(100);
    expect(encodings).toEqual([null]);
    // The same Prometheus compresses when fetch's default Accept-Encoding is sent.
    const compressed = await fetch(
      `${prom.url}/api/v1/query_range?query=fp_test_gauge&start=${T0 / 1000}&end=${T0 / 1000}&step=300`
    );
    expect(compressed.headers.get('content-encoding')).toBe('gzip');
    await compressed.body?.cancel();
    const sent: Array<Record<string, string>> = [];
    const remote = (async (_url: string, init: RequestInit) => {
      sent.push(init.headers as Record<string, string>);
      return new Response(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    }) as typeof fetch;
    await new PrometheusClient({
      baseUrl: 'http://prometheus.monitoring:9090',
      timeoutMs: 1000,
      fetch: remote,
    }).queryRange(query);
    expect(sent).toHaveLength(1);
    expect(Object.keys(sent[0]).map((k) => k.toLowerCase())).not.toContain('accept-encoding');
  });

  it("reads Prometheus' own query_range text straight into arrays, as JSON.parse and readMatrix read it", async () => {
    const params = new URLSearchParams({
      query: nab ? '{job=~"generated|machine"}' : 'fp_test_gauge',
      start: String(T0 / 1000),
      end: String((T0 + 287 * STEP_MS) / 1000),
      step: '300',
    });
    const text = await (await fetch(`${prom.url}/api/v1/query_range?${params}`)).text();
    const fast = readMatrixText(text);
    expect(fast).toBeDefined();
    expect(fast).toEqual(readMatrix((JSON.parse(text) as { data: unknown }).data));
    expect(fast?.some((s) => s.values.some(Number.isNaN))).toBe(true);
  });

  it('answers an empty list for a range with no data', async () => {
    const result = await client.queryRange({
      query: 'fp_test_gauge',
      start: Date.UTC(2030, 0, 1),
      end: Date.UTC(2030, 0, 2),
      stepMs: STEP_MS,
    });
    expect(result).toEqual([]);
  });

  it('answers instant queries, scalars included', async () => {
    const vector = await client.query('fp_test_gauge', T0 + 50 * STEP_MS);
    expect(vector).toHaveLength(1);
    expect(vector[0].labels.instance).toBe('a');
    expect(vector[0].value).toBeCloseTo(Math.sin((50 * STEP_MS) / 3_600_000), 10);
    const scalar = await client.query('scalar(vector(42))');
    expect(scalar).toEqual([{ labels: {}, timestamp: expect.any(Number), value: 42 }]);
  });

  it("refuses a bad PromQL expression with Prometheus' own reason", async () => {
    const error = await client.query('rate(fp_test_gauge[5m]').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect((error as PrometheusError).kind).toBe('query');
    expect((error as PrometheusError).errorType).toBe('bad_data');
    expect((error as PrometheusError).status).toBe(400);
    expect((error as PrometheusError).message).toMatch(/Prometheus refused the query \(bad_data\): .*parse error/);
    expect((error as PrometheusError).transient).toBe(false);
  });

  (nab ? it : it.skip)('serves the NAB machine temperature series exactly as the CSV holds it', async () => {
    const n = nab!;
    const start = n.timestamps[1000];
    const end = n.timestamps[1999];
    const [series] = await client.queryRange({
      query: 'machine_temperature{job="machine"}',
      start,
      end,
      stepMs: STEP_MS,
    });
    expect(series.timestamps).toHaveLength(1000);
    for (let i = 0; i < 1000; i++) {
      expect(series.timestamps[i]).toBe(n.timestamps[1000 + i]);
      expect(series.values[i]).toBeCloseTo(n.values[1000 + i], 9);
    }
  });
});

describe('PrometheusClient errors without a healthy Prometheus', () => {
  it('says a stopped Prometheus is unreachable', async () => {
    const port = await freePort();
    const client = new PrometheusClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    const error = (await client.ping().catch((e: unknown) => e)) as PrometheusError;
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(`127.0.0.1:${port} is unreachable`);
    expect(error.transient).toBe(true);
  });

  describe('against a server that answers badly', () => {
    let server: Server;
    let baseUrl: string;
    /** `silent`: the server never answers (the client's timeout alone ends the request); `arrived` is told when it came. */
    const answers: Record<
      string,
      { status: number; body: string; delayMs?: number; silent?: true; arrived?: () => void }
    > = {};

    beforeAll(async () => {
      server = createServer((req, res) => {
        // The case to play is the first path segment: /<case>/api/v1/...
        const answer = answers[(req.url ?? '/').split('/')[1]] ?? { status: 404, body: 'no case' };
        if (answer.silent) {
          answer.arrived?.();
          return;
        }
        setTimeout(() => {
          res.writeHead(answer.status, { 'Content-Type': 'application/json' });
          res.end(answer.body);
        }, answer.delayMs ?? 0);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const clientFor = (name: string, timeoutMs = 2000) =>
      new PrometheusClient({ baseUrl: `${baseUrl}/${name}`, timeoutMs });

    it('reports an HTTP error without a Prometheus body', async () => {
      answers.gateway = { status: 502, body: '<html>Bad Gateway</html>' };
      const error = (await clientFor('gateway')
        .ping()
        .catch((e: unknown) => e)) as PrometheusError;
      expect(error.kind).toBe('http');
      expect(error.status).toBe(502);
      expect(error.message).toContain('HTTP 502');
      expect(error.transient).toBe(true);
    });

    it("says on a 404 that the URL should be Prometheus' base, not its API path", async () => {
      // The case name is the first path segment, so a URL given with /api/v1 finds no case: 404.
      const error = (await new PrometheusClient({ baseUrl: `${baseUrl}/api/v1`, timeoutMs: 2000 })
        .ping()
        .catch((e: unknown) => e)) as PrometheusError;
      expect(error.kind).toBe('http');
      expect(error.status).toBe(404);
      expect(error.message).toContain("answered HTTP 404: no case; give Prometheus' base URL");
      expect(error.message).toContain('without /api/v1');
    });

    it('reports a malformed answer', async () => {
      answers.shape = {
        status: 200,
        body: JSON.stringify({
          status: 'success',
          data: { resultType: 'matrix', result: [{ metric: {}, values: [['x', 1]] }] },
        }),
      };
      const error = (await clientFor('shape')
        .queryRange({ query: 'up', start: 0, end: 1000, stepMs: 1000 })
        .catch((e: unknown) => e)) as PrometheusError;
      expect(error.kind).toBe('malformed');
      expect(error.message).toMatch(/unexpected shape at result\.0\.values\.0\.0/);
    });

    it('reports a body that is not JSON', async () => {
      answers.text = { status: 200, body: 'hello' };
      const error = (await clientFor('text')
        .ping()
        .catch((e: unknown) => e)) as PrometheusError;
      expect(error.kind).toBe('malformed');
      expect(error.message).toContain('not JSON');
    });

    it('times out an answer that never comes on the clock it is given, and leaves no timer once answered', async () => {
      // A hand-fired clock: the timeout fires when the test says its time has passed, not after real time.
      const timers = new Map<number, { ms: number; fire: () => void }>();
      let next = 0;
      const clock = {
        after: (ms: number, fire: () => void) => {
          const id = next++;
          timers.set(id, { ms, fire });
          return () => void timers.delete(id);
        },
      };
      const arrived = new Promise<void>((resolve) => {
        answers.held = { status: 200, body: '{}', silent: true, arrived: resolve };
      });
      const pending = new PrometheusClient({ baseUrl: `${baseUrl}/held`, timeoutMs: 200, clock })
        .ping()
        .catch((e: unknown) => e);
      await arrived;
      expect([...timers.values()].map((t) => t.ms)).toEqual([200]);
      [...timers.values()][0].fire();
      const error = (await pending) as PrometheusError;
      expect(error.kind).toBe('timeout');
      expect(error.message).toContain('within 200 ms');
      expect(timers.size).toBe(0);

      answers.fine = {
        status: 200,
        body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [0, '1'] } }),
      };
      await new PrometheusClient({ baseUrl: `${baseUrl}/fine`, timeoutMs: 200, clock }).ping();
      expect(timers.size).toBe(0);
    });

    it('times out an answer that never comes while garbage collections run (a timeout signal inside AbortSignal.any could be collected)', async () => {
      answers.silent = { status: 200, body: '{}', silent: true };
      setFlagsFromString('--expose-gc');
      const gc: () => void = runInNewContext('gc');
      const collecting = setInterval(gc, 20);
      try {
        const error = (await clientFor('silent', 200)
          .ping()
          .catch((e: unknown) => e)) as PrometheusError;
        expect(error.kind).toBe('timeout');
        expect(error.message).toContain('within 200 ms');
      } finally {
        clearInterval(collecting);
      }
    }, 30_000);

    it('passes a Prometheus error body through with its type', async () => {
      answers.limit = {
        status: 422,
        body: JSON.stringify({
          status: 'error',
          errorType: 'execution',
          error: 'query processing would load too many samples into memory',
        }),
      };
      const error = (await clientFor('limit')
        .ping()
        .catch((e: unknown) => e)) as PrometheusError;
      expect(error.kind).toBe('query');
      expect(error.errorType).toBe('execution');
      expect(error.message).toContain('too many samples');
    });
  });
});
