import { configSchema } from '../config/schema';
import { SeriesTargets } from './alignment';
import { targetId, targetLabels } from './targets';

const watchOf = (target: string[]) =>
  configSchema.parse({
    prometheus: { url: 'http://prometheus:9090' },
    watches: [{ name: 'w', queries: { load: 'load' }, target, step: '1m' }],
  }).watches![0];

describe('SeriesTargets', () => {
  it('gives each series the target labels and id targets.ts builds, answer after answer', () => {
    const watch = watchOf(['job', 'instance']);
    const cache = new SeriesTargets(watch);
    const series: Array<Record<string, string>> = [
      { job: 'a', instance: 'x', pod: 'p1' },
      { job: 'a', instance: 'x', pod: 'p2' },
      { job: 'a', instance: 'y' },
      { instance: 'y' },
      { job: '', instance: 'y' },
      // Values that a plain join would confuse: "a\0" + "b" and "a" + "\0b".
      { job: 'a\u0000', instance: 'b' },
      { job: 'a', instance: '\u0000b' },
      { job: '1:a', instance: '' },
      { job: '', instance: '1:a' },
    ];
    for (let answer = 0; answer < 3; answer++) {
      for (const labels of series) {
        const expected = targetLabels(watch, labels);
        const got = cache.of({ ...labels });
        expect(got.labels).toEqual(expected);
        expect(got.id).toBe(targetId('w', expected));
      }
      cache.settle();
    }
  });

  it('keys a one-label watch by the value alone, a missing label as the empty value', () => {
    const watch = watchOf(['instance']);
    const cache = new SeriesTargets(watch);
    expect(cache.of({ instance: 'i-1', job: 'j' })).toEqual({ id: 'w{instance="i-1"}', labels: { instance: 'i-1' } });
    expect(cache.of({ job: 'j' })).toEqual({ id: 'w{instance=""}', labels: { instance: '' } });
    expect(cache.of({ instance: '' })).toBe(cache.of({ job: 'k' }));
  });

  it('keeps the series of the last answer only', () => {
    const watch = watchOf(['instance']);
    const cache = new SeriesTargets(watch);
    const first = cache.of({ instance: 'a' });
    cache.settle();
    expect(cache.of({ instance: 'a' })).toBe(first);
    cache.settle();
    cache.settle();
    // Not in the last answer: built again (equal, not the same object).
    const again = cache.of({ instance: 'a' });
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
