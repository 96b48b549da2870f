import { anomalyRecord, T0 } from '../../../test/harness/anomalyRecords';
import { configSchema } from '../config/schema';
import { openSqliteDatabase } from '../store/sqlite';
import { SLICE_MS } from './loopTurns';
import { recordInitialModels, retrainedThreshold } from './retraining';
import { SqlitePipelineRepository } from './store/sqliteRepository';
import { retrainOnDemand } from './testRetraining';
import { jobTarget, testSettings } from './testTargets';

describe('retrainedThreshold', () => {
  it('keeps the base for one false positive, then raises it 0.05 for each more, up to 0.9', () => {
    expect([0, 1, 2, 3, 4].map((fp) => retrainedThreshold(0.24, fp))).toEqual(
      [0.24, 0.24, 0.29, 0.34, 0.39].map((t) => expect.closeTo(t, 12))
    );
    expect(retrainedThreshold(0.5, 100)).toBe(0.9);
  });

  it('never lowers a watch threshold set above the cap', () => {
    expect([0, 2, 5, 100].map((fp) => retrainedThreshold(0.95, fp))).toEqual([0.95, 0.95, 0.95, 0.95]);
  });
});

describe('recordInitialModels', () => {
  it('records the first version of each learned target, giving the event loop a turn once a slice is spent', async () => {
    const store = openSqliteDatabase(':memory:', () => T0);
    try {
      const repo = new SqlitePipelineRepository(store.db, () => T0);
      const [watch] =
        configSchema.parse({
          prometheus: { url: 'http://127.0.0.1:1' },
          watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m' }],
        }).watches ?? [];
      const settings = testSettings();
      const targets = Array.from({ length: 40 }, (_, k) => {
        const t = jobTarget(`j${k}`, settings, 0.5);
        t.signalIndex({ name: 'x', kind: 'other', limits: {} });
        t.step(T0, [k]);
        return t;
      });
      // Half a slice a look: a turn every second target. SQLite's answers resolve without one.
      let now = 0;
      const clock = { now: () => T0, elapsed: () => (now += SLICE_MS / 2) };
      const recordedWhenTheLoopRan: number[] = [];
      // A look at each turn of the loop's check phase, where the recording's turns (setImmediate) fall too:
      // no timer, so no dependence on how fast the machine is.
      let looking = true;
      const seen = () => {
        recordedWhenTheLoopRan.push(targets.filter((t) => t.modelVersion > 0).length);
        if (looking) {
          setImmediate(seen);
        }
      };
      setImmediate(seen);
      const recorded = await recordInitialModels({ watch, repo, settings, clock }, targets);
      looking = false;
      expect(recorded.length).toBe(40);
      expect(recorded.every((t, i) => t === targets[i])).toBe(true);
      expect(targets.map((t) => t.modelVersion)).toEqual(targets.map(() => 1));
      expect((await repo.models({ limit: 100 })).length).toBe(40);
      // The loop ran while versions were being recorded, not only before or after.
      expect(recordedWhenTheLoopRan.some((n) => n > 0 && n < 40)).toBe(true);
    } finally {
      store.close();
    }
  });
});

describe('retrainTargets', () => {
  it('raises the threshold only for false positives its benign excursions cannot silence', async () => {
    const store = openSqliteDatabase(':memory:', () => T0);
    try {
      const repo = new SqlitePipelineRepository(store.db, () => T0);
      const [watch] =
        configSchema.parse({
          prometheus: { url: 'http://127.0.0.1:1' },
          watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '1h', threshold: 0.5 }],
        }).watches ?? [];
      const settings = testSettings();
      const target = jobTarget('j0', settings, 0.5);
      target.signalIndex({ name: 'x', kind: 'other' });
      const MINUTE = 60_000;
      const end = T0 + 59 * MINUTE;
      // Four false positives: two spikes of x above its band, one stop of x, one departure from its peers.
      const signals = [['x'], ['x'], ['x (stopped)'], ['x', 'x (vs peers)']];
      const stored = await repo.commitCycle({
        watch: 'w',
        lastProcessed: end,
        targets: [],
        predictions: [],
        forgotten: [],
        anomalies: signals.map((moved, i) =>
          anomalyRecord(0, {
            start: T0 + (10 + 10 * i) * MINUTE,
            end: T0 + (11 + 10 * i) * MINUTE,
            signals: moved,
            direction: 'above',
          })
        ),
      });
      for (const a of stored) {
        await repo.addFeedback(a.id!, 'false_positive', 'operator', 'ada', null);
      }
      const timestamps = Float64Array.from({ length: 60 }, (_, i) => T0 + i * MINUTE);
      const values = timestamps.map((_, i) => (i % 10 === 0 && i > 0 ? 50 + i : 10 + (i % 3)));
      const result = await retrainOnDemand(
        {
          watch,
          repo,
          settings,
          fetch: async () => new Map([['x', [{ labels: { job: 'j0' }, timestamps, values }]]]),
        },
        target,
        end
      );
      expect(result).toMatchObject({ trained: 1, failed: [] });
      // Two of the four could not be silenced by an excursion: the threshold rises once (after the first).
      expect(target.threshold).toBeCloseTo(0.55, 12);
      // x reached 60, 70 and 90 in the three that named it (the stop does not): the furthest is kept.
      expect(target.benign).toEqual([expect.objectContaining({ signal: 'x', side: 'above', extreme: 90 })]);
      expect((await repo.models({}))[0]).toMatchObject({ samples: 60, feedback: { falsePositive: 4, confirmed: 0 } });
    } finally {
      store.close();
    }
  });
});
