import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { configSchema } from '../config/schema';
import { readMatrixText } from '../prometheus/matrixText';
import type { RangeSeries } from '../prometheus/types';
import { AnswerAlignment, SeriesTargets } from './alignment';
import { LoopTurns } from './loopTurns';
import { TargetModel } from './targetModel';
import { testSettings } from './testTargets';
import { targetId, targetLabels } from './targets';

const watchOf = (target: string[]) =>
  configSchema.parse({
    prometheus: { url: 'http://prometheus:9090' },
    watches: [{ name: 'w', queries: { load: 'load' }, target, step: '1m' }],
  }).watches![0];

describe('SeriesTargets', () => {
  const cacheOf = (watch: ReturnType<typeof watchOf>) => {
    const known = new Map<string, TargetModel>();
    return { known, cache: new SeriesTargets({ watch, known, settings: testSettings({}), baseThreshold: 3 }) };
  };

  it('gives each series the target with the labels and id targets.ts builds, answer after answer', () => {
    const watch = watchOf(['job', 'instance']);
    const { cache, known } = cacheOf(watch);
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
        expect(known.get(got.id)).toBe(got);
      }
      cache.settle();
    }
    expect(known.size).toBe(7);
  });

  it('keys a one-label watch by the value alone, a missing label as the empty value', () => {
    const watch = watchOf(['instance']);
    const { cache } = cacheOf(watch);
    const got = cache.of({ instance: 'i-1', job: 'j' });
    expect([got.id, got.labels]).toEqual(['w{instance="i-1"}', { instance: 'i-1' }]);
    const missing = cache.of({ job: 'j' });
    expect([missing.id, missing.labels]).toEqual(['w{instance=""}', { instance: '' }]);
    expect(cache.of({ instance: '' })).toBe(cache.of({ job: 'k' }));
  });

  it("gives the watch's own target: a forgotten one is created again, a replaced one is not kept", () => {
    const watch = watchOf(['instance']);
    const { cache, known } = cacheOf(watch);
    const first = cache.of({ instance: 'a' });
    cache.settle();
    expect(cache.of({ instance: 'a' })).toBe(first);
    cache.settle();
    known.delete(first.id);
    const again = cache.of({ instance: 'a' });
    expect(again).not.toBe(first);
    expect([again.id, again.labels]).toEqual([first.id, first.labels]);
    expect(known.get(first.id)).toBe(again);
    cache.settle();
    const restored = new TargetModel(again.id, 'w', again.labels, null, testSettings({}), 3);
    known.set(again.id, restored);
    expect(cache.of({ instance: 'a' })).toBe(restored);
  });
  it("keeps none of an answer's text: a target's labels and the key of its series are strings of their own", () => {
    // A label value read from an answer is a slice of its text in V8 (13 characters and more).
    setFlagsFromString('--expose-gc');
    const gc: () => void = runInNewContext('gc');
    for (const names of [['instance'], ['job', 'instance']]) {
      const { cache, known } = cacheOf(watchOf(names));
      // Read and let go in a frame of its own: the test's own frame keeps no slice of the answer.
      const readAnswer = (big: string) => {
        const text =
          '{"status":"success","data":{"resultType":"matrix","result":[' +
          '{"metric":{"instance":"10.0.0.12:9100","job":"node-exporter-on-kubernetes"},"values":[[1,"1"]]},' +
          `{"metric":{"instance":"b","big":"${big}"},"values":[[1,"1"]]}]}}`;
        cache.of(readMatrixText(text)![0].labels);
        cache.settle();
      };
      gc();
      const before = process.memoryUsage().heapUsed;
      readAnswer('x'.repeat(20_000_000));
      gc();
      // The answer was 20 MB: a target that kept a slice of it would keep it all.
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(5_000_000);
      expect(known.size).toBe(1);
      expect([...known.values()][0].labels).toMatchObject({ instance: '10.0.0.12:9100' });
    }
  });
});

describe('AnswerAlignment: answers aligned into buffers kept from one answer to the next', () => {
  const STEP = 60_000;
  const watch = configSchema.parse({
    prometheus: { url: 'http://prometheus:9090' },
    watches: [{ name: 'w', queries: { load: 'load', memory: 'memory' }, target: ['instance'], step: '1m' }],
  }).watches![0];
  const settings = testSettings();
  const value = fc.constantFrom(1.5, -2, 0, NaN, Infinity);
  // One query's series: distinct (instance, container) pairs, each with some of the answer's steps.
  const query = fc.uniqueArray(
    fc.record({
      instance: fc.constantFrom('a', 'b', 'c', 'd'),
      container: fc.constantFrom('', 'x', 'y'),
      steps: fc.subarray([0, 1, 2]),
      values: fc.array(value, { minLength: 3, maxLength: 3 }),
    }),
    { selector: (s) => `${s.instance}/${s.container}`, maxLength: 6 }
  );
  const answers = fc.array(fc.record({ steps: fc.integer({ min: 1, max: 3 }), load: query, memory: query }), {
    minLength: 1,
    maxLength: 5,
  });

  type Drawn = { instance: string; container: string; steps: number[]; values: number[] };
  const seriesOf = (drawn: Drawn[], from: number, steps: number): RangeSeries[] =>
    drawn.map((d) => {
      const at = d.steps.filter((i) => i < steps);
      const labels: Record<string, string> = { instance: d.instance };
      if (d.container) {
        labels.container = d.container;
      }
      return {
        labels,
        timestamps: Float64Array.from(at, (i) => from + i * STEP),
        values: Float64Array.from(at, (i) => d.values[i]),
      };
    });

  it('gives every target the values of its series at each step, NaN where it has none, answer after answer', async () => {
    await fc.assert(
      fc.asyncProperty(answers, async (drawn) => {
        const known = new Map<string, TargetModel>();
        const alignment = new AnswerAlignment({ watch, known, settings, baseThreshold: 3 });
        let from = 0;
        for (const answer of drawn) {
          const results = new Map([
            ['load', seriesOf(answer.load, from, answer.steps)],
            ['memory', seriesOf(answer.memory, from, answer.steps)],
          ]);
          const before = [...known.values()].filter((t) => !Number.isNaN(t.lastAt));
          await alignment.align(results, new LoopTurns(() => 0));
          // What each target's signals read at step i: a series feeds the signal named by its other
          // labels once its target has one, else the query's plain signal, which one series feeds.
          const expected = new Map<TargetModel, Map<number, Array<number | undefined>>>();
          const firstSeen: TargetModel[] = [];
          for (const [signal, list] of results) {
            const plainFed = new Set<TargetModel>();
            for (const s of list.filter((x) => x.timestamps.length > 0)) {
              const target = known.get(targetId('w', { instance: s.labels.instance }))!;
              if (!firstSeen.includes(target)) {
                firstSeen.push(target);
              }
              const extra = s.labels.container === undefined ? '' : `container=${JSON.stringify(s.labels.container)}`;
              const own = `${signal}{${extra}}`;
              const name = target.signals.some((x) => x.spec.name === own) ? own : signal;
              expect(name === signal && plainFed.has(target)).toBe(false);
              if (name === signal) {
                plainFed.add(target);
              }
              const k = target.signals.findIndex((x) => x.spec.name === name);
              expect(k).toBeGreaterThanOrEqual(0);
              const byStep = expected.get(target) ?? new Map<number, Array<number | undefined>>();
              expected.set(target, byStep);
              for (let i = 0; i < answer.steps; i++) {
                const at = s.timestamps.indexOf(from + i * STEP);
                const row = byStep.get(i) ?? [];
                byStep.set(i, row);
                row[k] = at >= 0 ? s.values[at] : row[k];
              }
            }
          }
          const absent = before.filter((t) => !firstSeen.includes(t));
          expect(alignment.targets).toEqual([...firstSeen, ...absent]);
          expect(alignment.present).toBe(firstSeen.length);
          expect(alignment.series).toBe([...results.values()].flat().filter((s) => s.timestamps.length > 0).length);
          for (let i = 0; i < answer.steps; i++) {
            const t = from + i * STEP;
            alignment.step(t);
            alignment.targets.forEach((target, slot) => {
              const row = expected.get(target)?.get(i) ?? [];
              const want = target.signals.map((_, k) => row[k] ?? NaN);
              expect([...alignment.valuesOf(slot)]).toEqual(want);
              expect(want.map((_, k) => alignment.value(slot, k))).toEqual(want);
              target.step(t, alignment.valuesOf(slot));
            });
          }
          alignment.release();
          from += answer.steps * STEP;
        }
      }),
      { numRuns: 200 }
    );
  });

  it("gives the event loop turns while it creates a fleet's targets from its first answer", async () => {
    const known = new Map<string, TargetModel>();
    const alignment = new AnswerAlignment({ watch, known, settings, baseThreshold: 3 });
    const load = Array.from({ length: 300 }, (_, k) => ({
      labels: { instance: `i-${k}` },
      timestamps: Float64Array.of(0),
      values: Float64Array.of(k),
    }));
    // A slice spent at every look (every 64 series): the loop runs between them.
    let now = 0;
    const createdWhenTheLoopRan: number[] = [];
    // A look at each turn of the loop's check phase, where LoopTurns' turns (setImmediate) fall too: no
    // timer, so no dependence on how fast the machine is.
    let looking = true;
    const look = () => {
      createdWhenTheLoopRan.push(known.size);
      if (looking) {
        setImmediate(look);
      }
    };
    setImmediate(look);
    try {
      await alignment.align(
        new Map([
          ['load', load],
          ['memory', []],
        ]),
        new LoopTurns(() => (now += 1), 1)
      );
    } finally {
      looking = false;
    }
    expect(createdWhenTheLoopRan.some((n) => n > 0 && n < 300)).toBe(true);
    alignment.step(0);
    expect(alignment.present).toBe(300);
    expect(alignment.targets.map((t, slot) => [t.labels.instance, alignment.value(slot, 0)])).toEqual(
      load.map((s, k) => [s.labels.instance, k])
    );
  });

  it('steps a target gone from the answer with no samples, and a returning one with its own', async () => {
    const known = new Map<string, TargetModel>();
    const alignment = new AnswerAlignment({ watch, known, settings, baseThreshold: 3 });
    const answer = (t: number, instances: Record<string, number>) =>
      new Map([
        [
          'load',
          Object.entries(instances).map(([instance, v]) => ({
            labels: { instance },
            timestamps: Float64Array.of(t),
            values: Float64Array.of(v),
          })),
        ],
        ['memory', []],
      ]);
    const scoreAt = (t: number) => {
      alignment.step(t);
      alignment.targets.forEach((target, slot) => target.step(t, alignment.valuesOf(slot)));
      alignment.release();
    };
    const ids = () => alignment.targets.map((t) => t.labels.instance);
    const values = () => alignment.targets.map((_, slot) => alignment.value(slot, 0));

    const still = new LoopTurns(() => 0);
    await alignment.align(answer(0, { a: 1, b: 2, c: 3 }), still);
    scoreAt(0);
    await alignment.align(answer(STEP, { c: 30 }), still);
    alignment.step(STEP);
    expect([ids(), alignment.present, values()]).toEqual([['c', 'a', 'b'], 1, [30, NaN, NaN]]);
    scoreAt(STEP);
    await alignment.align(answer(2 * STEP, { b: 20, d: 40 }), still);
    alignment.step(2 * STEP);
    expect([ids(), alignment.present, values()]).toEqual([['b', 'd', 'a', 'c'], 2, [20, 40, NaN, NaN]]);
    expect(known.get(targetId('w', { instance: 'a' }))!.lastAt).toBe(0);
  });
});
