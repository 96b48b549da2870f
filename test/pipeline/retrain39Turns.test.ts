import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { SLICE_MS } from '../../src/server/pipeline/loopTurns';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { jobWatch, padded, sampledQuerier } from '../harness/spikingFleet';
import { buildPipeline, TestClock } from './helpers';
import { SHARED_NOW } from './sharedWatch';

// A retraining shares the thread with the API and /healthz, and its deadline is looked at only when
// it gives the event loop a turn. Of 10,000 targets it held the loop for up to 10 s at once on a busy
// machine: reading every target's feedback (SQLite answers without a turn), making their models,
// and storing them. It now gives a turn at each stage once a slice is spent. SQLite only: PostgreSQL's
// answers come back through I/O, a turn each.

/** The repository, each call of `names` logged as it is made. */
function logged(repo: PipelineRepository, names: string[], log: string[]): PipelineRepository {
  return new Proxy(repo, {
    get: (target, name) => {
      const value: unknown = Reflect.get(target, name, target);
      if (typeof name !== 'string' || !names.includes(name) || typeof value !== 'function') {
        return value;
      }
      return (...args: unknown[]) => {
        log.push(name);
        return value.apply(target, args);
      };
    },
  });
}

/** The entries of `log` from the first `name` to the last. */
const between = (log: string[], name: string): string[] => log.slice(log.indexOf(name), log.lastIndexOf(name) + 1);

describe('retraining a fleet', () => {
  it('gives the event loop turns while it reads feedback and while it stores models', async () => {
    const clock = new TestClock(SHARED_NOW);
    // Every look at the time finds a slice spent: a turn is due at each chance the retraining gives one.
    let spent = 0;
    clock.elapsed = () => (spent += SLICE_MS);
    const dataDir = mkdtempSync(join(tmpdir(), 'fp-retrain39-turns-'));
    const store = openSqliteStore(dataDir, clock.now);
    const log: string[] = [];
    const fleet = sampledQuerier(
      Array.from({ length: 200 }, (_, k) => ({
        labels: { job: padded(k) },
        value: (t: number) => 50 + (k % 7) + (t % 5),
      }))
    );
    const h = buildPipeline({ watches: [jobWatch] }, clock, {
      dataDir,
      extra: {
        querierFor: () => fleet,
        repository: logged(
          new SqlitePipelineRepository(store.db, () => clock.now()),
          ['labelledWindows', 'addModel'],
          log
        ),
      },
    });
    try {
      await h.pipeline.runOnce();
      log.splice(0);
      let retraining = true;
      const turn = () => {
        log.push('turn');
        if (retraining) {
          setImmediate(turn);
        }
      };
      setImmediate(turn);
      const result = await h.pipeline.retrain({}, 'scheduled');
      retraining = false;
      expect(result).toEqual({ trained: 200, failed: [] });
      expect(log.filter((e) => e === 'addModel')).toHaveLength(200);
      expect(between(log, 'labelledWindows')).toContain('turn');
      expect(between(log, 'addModel')).toContain('turn');
    } finally {
      await h.close();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
