import { getEventListeners } from 'node:events';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { ResilientRangeQuerier } from '../../src/server/prometheus/resilient';
import { PrometheusError } from '../../src/server/prometheus/types';
import { aTurn, TestClock } from '../pipeline/helpers';
import { stallingPrometheus, type StallingPrometheus } from '../pipeline/abort37Prometheus';

// A range query takes an AbortSignal down to its request: aborted, the request's socket closes, and
// the query rejects with the signal's reason (the caller stopped waiting; Prometheus did not fail).

const q = { query: 'x', start: 0, end: 120_000, stepMs: 60_000 };

describe('a range query aborted by its caller', () => {
  let prom: StallingPrometheus;
  let clock: TestClock;
  let client: PrometheusClient;

  beforeEach(async () => {
    prom = await stallingPrometheus({ jobs: 2 });
    clock = new TestClock(0);
    client = new PrometheusClient({ baseUrl: prom.url, timeoutMs: 30_000, clock });
  });

  afterEach(() => prom.close());

  it('closes its request and rejects with the reason; until then the signal changes nothing, and leaves no listener', async () => {
    // One signal for many queries, as the backend's stop is: none leaves a listener on it.
    const stop = new AbortController();
    await expect(client.queryRange(q, stop.signal)).resolves.toHaveLength(2);
    expect(getEventListeners(stop.signal, 'abort')).toEqual([]);

    // Prometheus not answering is still a PrometheusError at the client's timeout.
    prom.stall();
    const timedOut = client.queryRange(q, stop.signal);
    await prom.reached(1);
    clock.advance(30_000);
    await expect(timedOut).rejects.toEqual(expect.objectContaining({ kind: 'timeout' }));
    await prom.closed(1);
    expect(getEventListeners(stop.signal, 'abort')).toEqual([]);

    // Aborted: its request closes now, its timeout goes with it, and the query rejects with the reason.
    const held = client.queryRange(q, stop.signal).catch((err: unknown) => err);
    await prom.reached(2);
    const reason = new Error('the backend is stopping');
    stop.abort(reason);
    await aTurn();
    expect(clock.pending).toBe(0);
    expect(await held).toBe(reason);
    await prom.closed(2);
    expect(getEventListeners(stop.signal, 'abort')).toEqual([]);
  });

  it('sends nothing once its signal has aborted', async () => {
    const reason = new Error('past the deadline');
    await expect(client.queryRange(q, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(prom.asked).toBe(0);
  });
});

describe('a resilient range query aborted by its caller', () => {
  it('stops waiting through its back-off and tries no more', async () => {
    let attempts = 0;
    const fetch = (async () => {
      attempts++;
      return new Response('bad gateway', { status: 502 });
    }) as typeof globalThis.fetch;
    let backingOff!: () => void;
    const backOff = new Promise<void>((resolve) => (backingOff = resolve));
    const querier = new ResilientRangeQuerier(new PrometheusClient({ baseUrl: 'http://p', timeoutMs: 1000, fetch }), {
      // A back-off that never ends by itself: only the abort ends the wait.
      sleep: () => {
        backingOff();
        return new Promise<void>(() => undefined);
      },
    });
    const caller = new AbortController();
    let outcome: unknown;
    void querier.queryRange(q, caller.signal).catch((err: unknown) => (outcome = err));
    await backOff;
    const reason = new Error('past the deadline');
    caller.abort(reason);
    await aTurn();
    expect(outcome).toBe(reason);
    expect(attempts).toBe(1);
  });

  it('tries no more once its signal aborted, whatever the last attempt answered', async () => {
    const reason = new Error('the backend is stopping');
    const caller = new AbortController();
    const fetch = (async () => {
      caller.abort(reason);
      return new Response('bad gateway', { status: 502 });
    }) as typeof globalThis.fetch;
    const sleeps: number[] = [];
    const querier = new ResilientRangeQuerier(new PrometheusClient({ baseUrl: 'http://p', timeoutMs: 1000, fetch }), {
      sleep: async (ms) => void sleeps.push(ms),
    });
    const error = await querier.queryRange(q, caller.signal).catch((err: unknown) => err);
    expect(error).toBe(reason);
    expect(error).not.toBeInstanceOf(PrometheusError);
    expect(sleeps).toEqual([]);
  });
});
