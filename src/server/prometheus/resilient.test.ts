import { PrometheusClient } from './client';
import { ResilientRangeQuerier } from './resilient';

function matrix(start: number, end: number, step: number) {
  const values: Array<[number, string]> = [];
  for (let t = start; t <= end; t += step) {
    values.push([t, String(t)]);
  }
  return { status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'x' }, values }] } };
}

describe('ResilientRangeQuerier', () => {
  it('splits a long range under the points limit and joins the pieces', async () => {
    const calls: Array<{ start: number; end: number }> = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      const p = new URLSearchParams(String(init.body));
      const start = Number(p.get('start'));
      const end = Number(p.get('end'));
      calls.push({ start, end });
      expect((end - start) / 60 + 1).toBeLessThanOrEqual(11_000);
      return new Response(JSON.stringify(matrix(start, end, 60)), { status: 200 });
    }) as typeof globalThis.fetch;
    const q = new ResilientRangeQuerier(new PrometheusClient({ baseUrl: 'http://p', timeoutMs: 1000, fetch }), {
      sleep: async () => undefined,
    });
    const [s] = await q.queryRange({ query: 'up', start: 0, end: 25_000 * 60_000, stepMs: 60_000 });
    expect(calls).toHaveLength(3);
    expect(s.timestamps.length).toBe(25_001);
    expect(s.timestamps[11_000]).toBe(11_000 * 60_000);
  });

  it('retries 5xx and timeouts with growing jittered waits, not 4xx query errors', async () => {
    let n = 0;
    const waits: number[] = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      n++;
      const p = new URLSearchParams(String(init.body));
      if (p.get('query') === 'bad') {
        return new Response(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }), {
          status: 400,
        });
      }
      return n < 3
        ? new Response('bad gateway', { status: 502 })
        : new Response(JSON.stringify(matrix(0, 60, 60)), { status: 200 });
    }) as typeof globalThis.fetch;
    const q = new ResilientRangeQuerier(new PrometheusClient({ baseUrl: 'http://p', timeoutMs: 1000, fetch }), {
      sleep: async (ms) => void waits.push(ms),
      random: () => 1,
      baseDelayMs: 100,
    });
    await expect(q.queryRange({ query: 'up', start: 0, end: 60_000, stepMs: 60_000 })).resolves.toHaveLength(1);
    expect(waits).toEqual([100, 200]);
    n = 0;
    await expect(q.queryRange({ query: 'bad', start: 0, end: 60_000, stepMs: 60_000 })).rejects.toMatchObject({
      kind: 'query',
    });
    expect(n).toBe(1);
  });
});
