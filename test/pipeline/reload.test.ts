import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { configSchema } from '../../src/server/config/schema';
import { Pipeline } from '../../src/server/pipeline/pipeline';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import type { RangeQuery } from '../../src/server/prometheus/client';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { TestClock } from './helpers';

const NOW = Date.UTC(2025, 2, 3, 12);

/** A data source whose answers wait until the test releases them: a cycle stays in flight meanwhile. */
function heldQuerier() {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const queries: RangeQuery[] = [];
  const querier: RangeQuerier = {
    queryRange: async (q) => {
      queries.push(q);
      await held;
      const n = (q.end - q.start) / q.stepMs + 1;
      const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
      return [{ labels: { job: 'a' }, timestamps, values: timestamps.map((_, i) => 10 + (i % 3)) }];
    },
  };
  return { querier, queries, release };
}

describe('replacing the watches while a cycle is in flight', () => {
  it('waits for the cycle, which lands whole, before the removed watch retires', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-reload-'));
    const store = openSqliteStore(dir);
    const clock = new TestClock(NOW);
    const source = heldQuerier();
    const config = configSchema.parse({
      watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '1h', lag: 0 }],
    });
    const pipeline = new Pipeline({
      config,
      repository: new SqlitePipelineRepository(store.db, () => clock.now()),
      logger: pino({ level: 'silent' }),
      metrics: new Registry(),
      clock,
      querierFor: () => source.querier,
    });
    await pipeline.init();

    const cycle = pipeline.runOnce();
    let replaced = false;
    const swap = pipeline.replaceWatches([]).then(() => (replaced = true));
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(source.queries).toHaveLength(1);
    expect(replaced).toBe(false);
    // Out of the running set at once, so no new cycle starts on it.
    expect(pipeline.watches()).toEqual([]);

    source.release();
    await cycle;
    await swap;
    expect(replaced).toBe(true);
    expect(await pipeline.repo.lastProcessed('w')).toBe(NOW);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM pipeline_targets WHERE watch = ?').get('w')).toEqual({ n: 1 });
    expect(await pipeline.repo.models({ watch: 'w' })).toEqual([
      expect.objectContaining({ reason: 'initial', samples: 61 }),
    ]);

    await pipeline.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
