import { anomalyRecord, T0 } from '../../../test/harness/anomalyRecords';
import { openSqliteDatabase } from '../store/sqlite';
import { storeInPieces } from './checkpoint';
import { SLICE_MS } from './loopTurns';
import type { CycleWrite, PipelineRepository } from './store/repository';
import { SqlitePipelineRepository } from './store/sqliteRepository';
import { jobTarget, testSettings } from './testTargets';

/** One transaction as the store saw it, and whether the event loop had a turn since the one before. */
interface Seen {
  targets: string[];
  anomalies: number;
  predictions: number;
  lastProcessed?: number;
  turnBefore: boolean;
}

/**
 * A SQLite repository whose commits are recorded, and a clock that moves `msPerState` for each state
 * a commit builds: writing a state is what takes the time. A commit fails when `failAt` says so.
 */
function recorded(msPerState: number, failAt = -1) {
  const store = openSqliteDatabase(':memory:', () => T0);
  const repo = new SqlitePipelineRepository(store.db, () => T0);
  let now = 0;
  let turned = true;
  const seen: Seen[] = [];
  const commitCycle = async (write: CycleWrite) => {
    const targets: string[] = [];
    const counted = {
      *[Symbol.iterator]() {
        for (const t of write.targets) {
          now += msPerState;
          targets.push(t.id);
          yield t;
        }
      },
    };
    if (seen.length === failAt) {
      throw new Error('disk full');
    }
    const out = await repo.commitCycle({ ...write, targets: counted });
    const { anomalies, predictions, lastProcessed } = write;
    seen.push({
      targets,
      anomalies: anomalies.length,
      predictions: predictions.length,
      lastProcessed,
      turnBefore: turned,
    });
    turned = false;
    setImmediate(() => (turned = true));
    return out;
  };
  // storeInPieces writes through commitCycle alone.
  const proxy = { commitCycle } as unknown as PipelineRepository;
  return { repo, proxy, seen, elapsed: () => now, close: () => store.close() };
}

const settings = testSettings();
const fleet = (n: number) =>
  Array.from({ length: n }, (_, k) => {
    const t = jobTarget(`j${k}`, settings, 0.5);
    t.step(T0, [k]);
    return t;
  });

describe('storeInPieces: a large checkpoint in transactions of about one slice, the records last', () => {
  it('writes the first piece, sizes the next by its time, gives the loop a turn between them, and ends with the records and resume point', async () => {
    const r = recorded(1);
    try {
      const targets = fleet(140);
      const write = {
        watch: 'w',
        lastProcessed: T0,
        anomalies: [anomalyRecord(3), anomalyRecord(77)],
        predictions: [],
        forgotten: [],
      };
      await storeInPieces(r.proxy, write, targets, r.elapsed, 8);
      // 8 states took 8 ms: the next pieces are one slice's worth each; the last holds the rest and the recorded targets.
      expect(r.seen.map((s) => s.targets.length)).toEqual([8, SLICE_MS, SLICE_MS, 140 - 8 - 2 * SLICE_MS]);
      expect(r.seen.slice(0, -1).every((s) => s.anomalies === 0 && s.lastProcessed === undefined)).toBe(true);
      const last = r.seen.at(-1)!;
      expect(last).toMatchObject({ anomalies: 2, lastProcessed: T0 });
      expect(last.targets).toEqual(expect.arrayContaining(['w{job="j3"}', 'w{job="j77"}']));
      expect(r.seen.slice(0, -1).flatMap((s) => s.targets)).not.toContain('w{job="j77"}');
      // Each target once, and the loop had a turn before each piece after the first.
      expect(new Set(r.seen.flatMap((s) => s.targets)).size).toBe(140);
      expect(r.seen.map((s) => s.turnBefore)).toEqual([true, true, true, true]);
      expect((await r.repo.loadTargets('w')).length).toBe(140);
      expect(await r.repo.lastProcessed('w')).toBe(T0);
    } finally {
      r.close();
    }
  });

  it('writes one transaction when the targets fit in the first piece, or when the clock did not move', async () => {
    for (const [n, msPerState] of [
      [8, 1],
      [140, 0],
    ]) {
      const r = recorded(msPerState);
      try {
        await storeInPieces(
          r.proxy,
          { watch: 'w', lastProcessed: T0, anomalies: [], predictions: [], forgotten: [] },
          fleet(n),
          r.elapsed,
          8
        );
        expect(r.seen.map((s) => s.targets.length)).toEqual(n === 8 ? [8] : [8, 132]);
      } finally {
        r.close();
      }
    }
  });

  it('leaves the resume point and the records unwritten when a piece fails, and the pieces before it stored', async () => {
    const r = recorded(1, 2);
    try {
      const write = { watch: 'w', lastProcessed: T0, anomalies: [anomalyRecord(3)], predictions: [], forgotten: [] };
      await expect(storeInPieces(r.proxy, write, fleet(140), r.elapsed, 8)).rejects.toThrow('disk full');
      expect((await r.repo.loadTargets('w')).length).toBe(8 + SLICE_MS);
      expect(await r.repo.lastProcessed('w')).toBeNull();
      expect(await r.repo.anomalies({})).toEqual([]);
    } finally {
      r.close();
    }
  });
});
