import { startFleetSource, type FleetSource } from '../../bench/fleetSource';
import { PrometheusClient } from '../../src/server/prometheus/client';
import { PrometheusError } from '../../src/server/prometheus/types';

// The fleet bench's stand-in for Prometheus' query_range: what the backend's own client reads from
// it, and the refusals Prometheus documents (web/api/v1/api.go), so the bench cannot pass on
// requests a real Prometheus would refuse.
describe('the fleet bench stand-in for query_range', () => {
  const T = Date.UTC(2025, 5, 2);
  let source: FleetSource;
  let client: PrometheusClient;

  beforeAll(async () => {
    source = await startFleetSource(20);
    client = new PrometheusClient({ baseUrl: source.url, timeoutMs: 10_000 });
  });
  afterAll(() => source.stop());

  it('answers a selector with every matching series, points at start + k * step up to end', async () => {
    const load = await client.queryRange({ query: 'bench_load', start: T, end: T + 90_000, stepMs: 30_000 });
    const memory = await client.queryRange({ query: 'bench_memory_ratio', start: T, end: T + 90_000, stepMs: 30_000 });
    expect(load).toHaveLength(18);
    expect(memory.map((s) => s.labels.instance)).toEqual(['i-000000', 'i-000010']);
    expect(Array.from(load[0].timestamps)).toEqual([T, T + 30_000, T + 60_000, T + 90_000]);
    expect(load[0].labels).toMatchObject({ __name__: 'bench_load', instance: 'i-000001' });
    expect(Array.from(load[0].values).every((v) => v > 90 && v < 165)).toBe(true);
    // The same question gets the same answer (the bench's processes compare like with like).
    const again = await client.queryRange({ query: 'bench_load', start: T, end: T + 90_000, stepMs: 30_000 });
    expect(Array.from(again[5].values)).toEqual(Array.from(load[5].values));
  });

  it('splits the targets into two disjoint halves that cover them all', async () => {
    const halves = await Promise.all(
      ['0', '1'].map((h) => client.queryRange({ query: `bench_load{half="${h}"}`, start: T, end: T, stepMs: 30_000 }))
    );
    const names = halves.map((h) => h.map((s) => s.labels.instance));
    expect(names[0].length).toBeGreaterThan(0);
    expect(names[1].length).toBeGreaterThan(0);
    expect(names[0].filter((n) => names[1].includes(n))).toEqual([]);
    expect([...names[0], ...names[1]].sort()).toHaveLength(18);
  });

  it('refuses what Prometheus refuses, with 400 bad_data', async () => {
    const refusal = (q: { query: string; start: number; end: number; stepMs: number }) =>
      client.queryRange(q).then(
        () => null,
        (err: unknown) => err
      );
    const tooMany = await refusal({ query: 'bench_load', start: T, end: T + 11_001 * 1000, stepMs: 1000 });
    expect(tooMany).toBeInstanceOf(PrometheusError);
    expect(tooMany).toMatchObject({ status: 400, errorType: 'bad_data' });
    expect((tooMany as Error).message).toContain('exceeded maximum resolution of 11,000 points');
    expect(
      await refusal({ query: 'bench_load{instance="i-000001"}', start: T, end: T + 11_000 * 1000, stepMs: 1000 })
    ).toBeNull();
    expect(await refusal({ query: 'bench_load', start: T + 1000, end: T, stepMs: 1000 })).toMatchObject({
      status: 400,
      errorType: 'bad_data',
    });
    expect(await refusal({ query: 'rate(bench_load[5m])', start: T, end: T, stepMs: 1000 })).toMatchObject({
      status: 400,
      errorType: 'bad_data',
    });
    const zeroStep = await fetch(`${source.url}/api/v1/query_range?query=bench_load&start=1&end=2&step=0`);
    expect(zeroStep.status).toBe(400);
    expect(await zeroStep.json()).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });
});
