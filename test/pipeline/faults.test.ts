import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random } from '../../src/detection';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, TestClock, type Harness } from './helpers';

const STEP = 300_000;
const T0 = Date.UTC(2025, 2, 3);
const N = 1600;

/** Five and a half days of a noisy daily series at 5 min with spikes at known steps. */
function spiky(spikes: Record<number, number>, seed = 5) {
  const rng = new Random(seed);
  const timestamps = Array.from({ length: N }, (_, i) => T0 + i * STEP);
  const values = timestamps.map(
    (t, i) =>
      50 + 10 * Math.sin((2 * Math.PI * (t - T0)) / 86_400_000) + 2 * (rng.next() + rng.next() - 1) + (spikes[i] ?? 0)
  );
  return { timestamps, values };
}

type Mode = 'pass' | 'down' | 'slow' | 'error' | 'nan';

interface FaultProxy {
  url: string;
  mode: Mode;
  /** Resolves once `n` requests in all have come while slow (each held unanswered). */
  held(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A fault-injecting proxy in front of the real Prometheus. */
async function faultProxy(upstream: string): Promise<FaultProxy> {
  const state = { mode: 'pass' as Mode, held: 0 };
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  const server: Server = createServer(async (req, res) => {
    if (state.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (state.mode === 'slow') {
      // Never answers: only the client's timeout ends the request (the proxy's close ends the socket).
      state.held++;
      waiting.filter((w) => w.n <= state.held).forEach((w) => w.resolve());
      return;
    }
    if (state.mode === 'error') {
      res
        .writeHead(503, { 'Content-Type': 'text/html' })
        .end('<html>upstream connect error or disconnect/reset before headers</html>');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) {
      chunks.push(c as Buffer);
    }
    const upstreamResponse = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.concat(chunks),
    });
    let text = await upstreamResponse.text();
    if (state.mode === 'nan') {
      // NaN on every third sample and a gap (dropped samples) in the middle of every series.
      const body = JSON.parse(text);
      for (const s of body.data.result) {
        s.values = s.values
          .filter((_: unknown, i: number) => i % 7 !== 3)
          .map(([t, v]: [number, string], i: number) => [t, i % 3 === 0 ? 'NaN' : v]);
      }
      text = JSON.stringify(body);
    }
    res.writeHead(upstreamResponse.status, { 'Content-Type': 'application/json' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: Mode) {
      state.mode = m;
    },
    held: (n) => new Promise<void>((resolve) => (n <= state.held ? resolve() : waiting.push({ n, resolve }))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The client's timeout: what each held attempt of the slow proxy waits on the pipeline's clock. */
const TIMEOUT_MS = 5000;

/**
 * Waits for real I/O (a cycle against Prometheus) to show, polled 20 ms apart: counted polls, not a
 * deadline, so a loaded machine only stretches the wait.
 */
async function until(check: () => boolean, polls = 3_000): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i >= polls) {
      throw new Error(`not within ${polls} polls`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Step → height: more than a day apart and growing (the detector mutes itself after an alarm). */
const SPIKES: Record<number, number> = { 500: 30, 800: 40, 1100: 50, 1350: 65, 1580: 85 };
const watch = (name: string, url?: string) => ({
  name,
  queries: { load: 'load_avg' },
  target: ['job'],
  step: '5m',
  history: '10d',
  lag: 0,
  ...(url ? { source: { prometheus: url } } : {}),
});

describe('the watch loop across restarts and faults (real Prometheus)', () => {
  let prom: RunningPrometheus;
  const series = spiky(SPIKES);

  beforeAll(async () => {
    prom = await startPrometheus([{ name: 'load_avg', labels: { job: 'api' }, ...series }]);
  }, 60_000);
  afterAll(() => prom?.stop());

  it('resumes after a restart without losing or duplicating anomalies, and scores the gap', async () => {
    const end = T0 + (N - 1) * STEP;
    // Reference: one backend that ran throughout.
    const reference = buildPipeline({ prometheus: { url: prom.url }, watches: [watch('load')] }, new TestClock(end));
    await reference.pipeline.runOnce();
    const expected = (await reference.pipeline.anomalies({ limit: 5000 })).map(
      ({ start, end: e, peakScore, severity, state }) => ({ start, end: e, peakScore, severity, state })
    );
    await reference.close(true);
    expect(expected.length).toBeGreaterThanOrEqual(3);

    // The same, stopped after step 1050 (live for a few steps), down until the end, then started again.
    const clock = new TestClock(T0 + 1040 * STEP);
    const first = buildPipeline({ prometheus: { url: prom.url }, watches: [watch('load')] }, clock);
    await first.pipeline.runOnce();
    for (let i = 0; i < 10; i++) {
      clock.advance(STEP);
      await first.pipeline.runOnce();
    }
    await first.close();
    clock.ms = end;
    const second = buildPipeline({ prometheus: { url: prom.url }, watches: [watch('load')] }, clock, {
      dataDir: first.dataDir,
    });
    await second.pipeline.runOnce();
    const got = (await second.pipeline.anomalies({ limit: 5000 })).map(
      ({ start, end: e, peakScore, severity, state }) => ({ start, end: e, peakScore, severity, state })
    );
    const ids = (await second.pipeline.anomalies({ limit: 5000 })).map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(got).toEqual(expected);
    // Spikes during the downtime were found after the restart (the detector reports a repeated spike once).
    expect(
      got.some((a) => a.start > T0 + 1050 * STEP && Object.keys(SPIKES).some((i) => T0 + Number(i) * STEP === a.start))
    ).toBe(true);
    expect(second.pipeline.watches()[0].lastProcessedAt).toBe(end);
    await second.close(true);
  }, 60_000);

  it('keeps running through Prometheus down, slow, error bodies, NaN and gaps; degrades the watch and recovers', async () => {
    const proxy = await faultProxy(prom.url);
    try {
      const clock = new TestClock(T0 + 1000 * STEP);
      const h: Harness = buildPipeline(
        {
          // The timeout runs on the test's clock: it passes only where the test moves that clock.
          prometheus: { url: prom.url, timeout: `${TIMEOUT_MS}ms` },
          pipeline: { retries: 2 },
          watches: [watch('through-proxy', proxy.url), watch('direct')],
        },
        clock
      );
      const status = (name: string) => h.pipeline.watches().find((w) => w.name === name)!;
      await h.pipeline.runOnce();
      expect(status('through-proxy').degraded).toBe(false);

      const kinds: Record<string, string | undefined> = {};
      let at = clock.ms;
      for (const mode of ['down', 'slow', 'error'] as const) {
        proxy.mode = mode;
        at += STEP;
        clock.advance(at - clock.ms);
        const cycle = h.pipeline.runOnce();
        if (mode === 'slow') {
          // The proxy holds each attempt (three: retries 2) until the client's timeout, on the pipeline's
          // clock: once the direct watch is done, each held attempt's 5 s pass there, not in real time.
          await until(() => status('direct').lastProcessedAt === at);
          for (let attempt = 1; attempt <= 3; attempt++) {
            await proxy.held(attempt);
            clock.advance(TIMEOUT_MS);
          }
        }
        await cycle;
        const s = status('through-proxy');
        expect(s.degraded).toBe(true);
        kinds[mode] = s.lastError?.kind;
        // The other watch is not held back.
        expect(status('direct').degraded).toBe(false);
        expect(status('direct').lastProcessedAt).toBe(at);
      }
      expect(kinds).toEqual({ down: 'unreachable', slow: 'timeout', error: 'http' });
      const metrics = await h.metrics.metrics();
      expect(metrics).toMatch(/failureprophet_watch_degraded\{watch="through-proxy"\} 1/);
      expect(metrics).toMatch(/failureprophet_query_errors_total\{watch="through-proxy",kind="timeout"\} 1/);
      expect(status('through-proxy').lastProcessedAt).toBe(T0 + 1000 * STEP);

      // NaN and gaps are data, not faults: the watch recovers and catches up on the missed steps.
      proxy.mode = 'nan';
      clock.advance(STEP);
      await h.pipeline.runOnce();
      expect(status('through-proxy').degraded).toBe(false);
      expect(status('through-proxy').lastProcessedAt).toBe(clock.ms);
      expect(h.pipeline.targets({ watch: 'through-proxy' })[0].lastScoredAt).toBeGreaterThan(T0 + 1000 * STEP);

      proxy.mode = 'pass';
      clock.advance(STEP);
      await h.pipeline.runOnce();
      expect(await h.metrics.metrics()).toMatch(/failureprophet_watch_degraded\{watch="through-proxy"\} 0/);
      await h.close(true);
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
