import { Random } from '../../detection';
import { configSchema } from '../config/schema';
import { TargetModel, type TargetSettings } from './targetModel';
import { stepValuesOf, testSettings } from './testTargets';
import { targetId } from './targets';
import { absencesAt, fetchScrapeHealth, ScrapeHealth, type Absence } from './vanished';

const STEP = 300_000;
const settings = testSettings({
  detector: 'failureprophet',
  stepMs: STEP,
  probation: 100,
  horizonSteps: 12,
  detailPoints: 60,
});
const watch = configSchema.parse({
  prometheus: { url: 'http://prometheus:9090' },
  watches: [{ name: 'w', queries: { load: 'load' }, target: ['job', 'instance'], step: '5m' }],
}).watches![0];

function target(job: string, instance: string, s: TargetSettings = settings): TargetModel {
  const labels = { job, instance };
  const m = new TargetModel(targetId('w', labels), 'w', labels, null, s, 0.24);
  m.signalIndex({ name: 'load', kind: 'other' });
  return m;
}

/** Steps a target through `steps` noisy samples (one a step from 0). */
function learned(m: TargetModel, steps: number, seed = 1): TargetModel {
  const rng = new Random(seed);
  for (let i = 0; i < steps; i++) {
    m.step(i * STEP, [50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * rng.next()]);
  }
  return m;
}

const aligned = (m: TargetModel, value: number) => ({ target: m, value });

describe('a target whose series stop (TargetModel)', () => {
  it('opens a crash episode within a few missing steps without moving lastAt, and closes it once samples return', () => {
    const m = learned(target('api', 'a'), 600);
    const lastAt = m.lastAt;
    const steps = m.steps;
    let openedAt = NaN;
    for (let i = 600; i < 620; i++) {
      m.step(i * STEP, [NaN], undefined, 'crash');
      if (m.open && Number.isNaN(openedAt)) {
        openedAt = i;
      }
    }
    expect(openedAt).toBeLessThanOrEqual(603);
    expect(m.lastAt).toBe(lastAt);
    expect(m.steps).toBe(steps);
    expect(m.open).toMatchObject({ failureModel: 'crash', severity: 'high', signals: ['load (stopped)'] });
    expect(m.open?.end).toBe(619 * STEP);
    // A step already scored (missing) is not scored again.
    m.step(619 * STEP, [50]);
    expect(m.lastAt).toBe(lastAt);

    const rng = new Random(9);
    const scores: number[] = [];
    for (let i = 620; i < 900; i++) {
      m.step(i * STEP, [50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * rng.next()]);
      scores.push(m.score);
    }
    const [closed] = m.takeChanges().anomalies.filter((a) => a.state === 'closed');
    expect(closed).toMatchObject({ start: openedAt * STEP, end: 620 * STEP, failureModel: 'crash' });
    expect(m.open).toBeNull();
    // The gap did not pollute the detector: normal samples after it score normally.
    expect(Math.max(...scores)).toBeLessThan(0.24);
  });

  it('one signal that stops while the other reports is a crash of that series', () => {
    const m = target('api', 'a');
    m.signalIndex({ name: 'errors', kind: 'errors' });
    const rng = new Random(3);
    for (let i = 0; i < 620; i++) {
      const load = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * rng.next();
      m.step(i * STEP, [load, i < 600 ? 5 + rng.next() : NaN]);
    }
    expect(m.lastAt).toBe(619 * STEP);
    expect(m.open).toMatchObject({ failureModel: 'crash', signals: ['errors (stopped)'] });
    expect(m.open?.start).toBeLessThanOrEqual(603 * STEP);
  });

  it('a partitioned member (the group told once) and a removed target open nothing', () => {
    for (const absence of ['partitioned', 'removed'] as Absence[]) {
      const m = learned(target('api', 'a'), 600);
      for (let i = 600; i < 620; i++) {
        m.step(i * STEP, [NaN], undefined, absence);
      }
      expect(m.open).toBeNull();
    }
  });

  it('the group member telling a partition opens one network_partition episode', () => {
    const m = learned(target('db', 'x'), 600);
    for (let i = 600; i < 610; i++) {
      m.step(i * STEP, [NaN], undefined, 'network_partition');
    }
    expect(m.open).toMatchObject({ failureModel: 'network_partition', severity: 'medium' });
  });

  it('a detector that does not score gaps (zscore) is left as it was', () => {
    const m = learned(target('api', 'a', { ...settings, detector: 'zscore' }), 600);
    const before = JSON.stringify(m.toState());
    for (let i = 600; i < 620; i++) {
      m.step(i * STEP, [NaN], undefined, 'crash');
    }
    expect(JSON.stringify(m.toState())).toBe(before);
    expect(m.seenAt).toBe(599 * STEP);
  });
});

describe('absencesAt: why a target has no sample', () => {
  const t = 100 * STEP;
  const seen = (job: string, instance: string, lastAt: number): TargetModel => {
    const m = target(job, instance);
    m.lastAt = lastAt;
    return m;
  };

  it('one target gone while the others report: crash; with `up` not listing it any more: removed', () => {
    const a = seen('api', 'a', t - STEP);
    const b = seen('api', 'b', t - STEP);
    const targets = [aligned(a, 1), aligned(b, NaN)];
    expect(absencesAt(watch, stepValuesOf(targets), null, t)).toEqual(new Map([[b.id, 'crash']]));
    const up = (instances: string[]) =>
      new ScrapeHealth(
        watch,
        instances.map((instance) => ({
          labels: { job: 'api', instance },
          timestamps: Float64Array.of(t),
          values: Float64Array.of(instance === 'b' ? 0 : 1),
        })),
        new Map([a, b].map((m) => [m.id, m]))
      );
    expect(absencesAt(watch, stepValuesOf(targets), up(['a', 'b']), t).get(b.id)).toBe('crash');
    expect(absencesAt(watch, stepValuesOf(targets), up(['a']), t).get(b.id)).toBe('removed');
    // `up` that names none of the watch's targets cannot tell: a fault must not hide.
    expect(absencesAt(watch, stepValuesOf(targets), up(['q']), t).get(b.id)).toBe('crash');
  });

  it('every target of a job gone at once: a partition told by the smallest id, the others partitioned', () => {
    const api = seen('api', 'a', t - STEP);
    const [x, y, z] = ['x', 'y', 'z'].map((i) => seen('db', i, t - 2 * STEP));
    const got = absencesAt(watch, stepValuesOf([aligned(api, 1), ...[z, y, x].map((m) => aligned(m, NaN))]), null, t);
    expect(got).toEqual(
      new Map([
        [x.id, 'network_partition'],
        [y.id, 'partitioned'],
        [z.id, 'partitioned'],
      ])
    );
  });

  it('a whole job gone from `up` as well (scaled to zero, or Prometheus not scraping) is no fault', () => {
    const a = seen('api', 'a', t - STEP);
    const [x, y] = ['x', 'y'].map((i) => seen('db', i, t - STEP));
    const known = new Map([a, x, y].map((m) => [m.id, m]));
    const up = new ScrapeHealth(
      watch,
      [{ labels: { job: 'api', instance: 'a' }, timestamps: Float64Array.of(t), values: Float64Array.of(1) }],
      known
    );
    const got = absencesAt(watch, stepValuesOf([aligned(a, 1), aligned(x, NaN), aligned(y, NaN)]), up, t);
    expect(got).toEqual(
      new Map([
        [x.id, 'removed'],
        [y.id, 'removed'],
      ])
    );
  });

  it('a target that left long before the rest is not part of their partition', () => {
    const a = seen('api', 'a', t - 200 * STEP);
    const b = seen('api', 'b', t - STEP);
    const got = absencesAt(watch, stepValuesOf([aligned(a, NaN), aligned(b, NaN)]), null, t);
    expect(got).toEqual(
      new Map([
        [a.id, 'crash'],
        [b.id, 'crash'],
      ])
    );
  });
});

describe('fetchScrapeHealth: when `up` is asked', () => {
  const t = 100 * STEP;
  const series = (instance: string, times: number[]) => ({
    labels: { job: 'api', instance },
    timestamps: Float64Array.from(times),
    values: Float64Array.from(times, () => 1),
  });

  it('only when a series is short of the chunk or a target seen before has none; judged by the targets known before it', async () => {
    const a = target('api', 'a');
    a.lastAt = t - STEP;
    const fresh = target('api', 'c');
    const asked: string[] = [];
    const querier = {
      queryRange: async (q: { query: string }) => {
        asked.push(q.query);
        return [series('c', [t, t + STEP])];
      },
    };
    const full = new Map([['load', [series('a', [t, t + STEP])]]]);
    const before = () => new Map([[a.id, a]]);
    await expect(fetchScrapeHealth(querier, watch, full, 0, before, t, t + STEP)).resolves.toBeNull();
    expect(asked).toEqual([]);
    const short = new Map([['load', [series('a', [t])]]]);
    await expect(fetchScrapeHealth(querier, watch, short, 0, before, t, t + STEP)).resolves.toBeInstanceOf(
      ScrapeHealth
    );
    const gone = new Map([['load', [series('c', [t, t + STEP])]]]);
    const health = await fetchScrapeHealth(querier, watch, gone, 1, before, t, t + STEP);
    expect(asked).toEqual(['max by (job, instance) (up)', 'max by (job, instance) (up)']);
    // `up` names only a target first seen in this chunk: it cannot tell why `a` went.
    expect(health?.informative).toBe(false);
    const known = await fetchScrapeHealth(
      querier,
      watch,
      gone,
      1,
      () => new Map([a, fresh].map((m) => [m.id, m])),
      t,
      t + STEP
    );
    expect(known?.informative).toBe(true);
  });
});
