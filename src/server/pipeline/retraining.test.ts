import { T0 } from '../../../test/harness/anomalyRecords';
import { configSchema } from '../config/schema';
import { openSqliteDatabase } from '../store/sqlite';
import { SLICE_MS } from './loopTurns';
import { recordInitialModels, retrainedThreshold } from './retraining';
import { SqlitePipelineRepository } from './store/sqliteRepository';
import { jobTarget, testSettings } from './testTargets';

describe('retrainedThreshold', () => {
  it('keeps the base for one false positive, then raises it 0.05 for each more, up to 0.9', () => {
    expect([0, 1, 2, 3, 4].map((fp) => retrainedThreshold(0.24, fp))).toEqual(
      [0.24, 0.24, 0.29, 0.34, 0.39].map((t) => expect.closeTo(t, 12))
    );
    expect(retrainedThreshold(0.5, 100)).toBe(0.9);
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
