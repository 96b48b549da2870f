import { configSchema } from '../config/schema';
import type { RangeQuery } from '../prometheus/client';
import { PrometheusError, type RangeSeries } from '../prometheus/types';
import { fetchChunk, WatchQueryError, type RangeQuerier } from './query';

const watch = configSchema.parse({
  prometheus: { url: 'http://prometheus:9090' },
  watches: [{ name: 'w', queries: { cpu: 'cpu_q', mem: 'mem_q', disk: 'disk_q' }, target: ['instance'], step: '1m' }],
}).watches![0];

/** Answers each query when the test says so, and records which were asked. */
class HeldQuerier implements RangeQuerier {
  readonly asked: string[] = [];
  private readonly pending = new Map<string, { resolve: (s: RangeSeries[]) => void; reject: (e: unknown) => void }>();

  queryRange(q: RangeQuery): Promise<RangeSeries[]> {
    this.asked.push(q.query);
    return new Promise((resolve, reject) => this.pending.set(q.query, { resolve, reject }));
  }

  answer(query: string, series: RangeSeries[]): void {
    this.pending.get(query)!.resolve(series);
  }

  fail(query: string, error: unknown): void {
    this.pending.get(query)!.reject(error);
  }
}

const series = (instance: string): RangeSeries => ({
  labels: { instance },
  timestamps: Float64Array.of(60_000),
  values: Float64Array.of(1),
});

describe('fetchChunk', () => {
  it('asks every query of the watch before any answers, and gives the answers by signal', async () => {
    const querier = new HeldQuerier();
    const fetched = fetchChunk(querier, watch, 60_000, 120_000);
    expect(querier.asked).toEqual(['cpu_q', 'mem_q', 'disk_q']);
    querier.answer('disk_q', [series('c')]);
    querier.answer('mem_q', [series('b')]);
    querier.answer('cpu_q', [series('a')]);
    const results = await fetched;
    expect([...results.keys()]).toEqual(['cpu', 'mem', 'disk']);
    expect(results.get('mem')![0].labels).toEqual({ instance: 'b' });
  });

  it('names the first failed query in the watch order, whichever failed first', async () => {
    const querier = new HeldQuerier();
    const fetched = fetchChunk(querier, watch, 60_000, 120_000).catch((e: unknown) => e);
    querier.fail('disk_q', new PrometheusError('query', 'disk refused'));
    querier.answer('cpu_q', []);
    querier.fail('mem_q', new Error('not a PrometheusError'));
    const error = (await fetched) as WatchQueryError;
    expect(error).toBeInstanceOf(WatchQueryError);
    expect(error.signal).toBe('mem');
    expect(error.error.kind).toBe('malformed');
    expect(error.message).toBe('watch w: not a PrometheusError');
  });
});
