import type { Anomaly } from '../../src/contract/pipeline';
import { replaceNaN } from '../../src/server/pipeline/store/stateCodec';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openPostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { startPostgres, type RunningPostgres } from '../harness/postgres';
import { spikingFleet, spikingWatchConfig } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock } from './helpers';

// The same watch, the same samples, once on the embedded SQLite and once on a real PostgreSQL
// (Debian's, a throwaway cluster), stopped halfway and started again: the same anomalies, ids,
// model versions and stored states.
const NOW = Date.UTC(2025, 3, 7, 12);
const SPIKE = NOW + 6 * MINUTE;

const querier = spikingFleet({ targets: 10, spikeAt: SPIKE });
const config = spikingWatchConfig;

let server: RunningPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(() => server?.stop(), 120_000);

/** Runs 18 cycles in two processes' worth (a restart after 9) on the repository `open` gives; returns what is stored. */
async function run(
  open: (clock: TestClock) => Promise<{ extra: { repository?: PipelineRepository }; close(): Promise<void> }>
) {
  const clock = new TestClock(NOW);
  let dataDir: string | undefined;
  for (const cycles of [9, 9]) {
    const store = await open(clock);
    const h = buildPipeline(config, clock, { dataDir, extra: { querierFor: () => querier, ...store.extra } });
    dataDir = h.dataDir;
    try {
      for (let c = 0; c < cycles; c++) {
        await h.pipeline.runOnce();
        clock.advance(MINUTE);
      }
    } finally {
      await h.close();
      await store.close();
    }
  }
  const last = await open(clock);
  const h = buildPipeline({ watches: [] }, clock, { dataDir, extra: last.extra });
  try {
    const repo = h.pipeline.repo;
    const anomalies = (await repo.anomalies({})).map(({ id, target, start, end, peakScore, state }: Anomaly) => ({
      id,
      target,
      start,
      end,
      peakScore,
      state,
    }));
    const states = (await repo.loadTargets('w')).map((t) => [t.id, JSON.stringify(t.state, replaceNaN)]);
    const models = (await repo.models({})).map((m) => [m.target, m.version, m.status]);
    return { anomalies, states, models, resume: await repo.lastProcessed('w') };
  } finally {
    await h.close(true);
    await last.close();
  }
}

it('runs the watch on PostgreSQL as on SQLite, across a restart', async () => {
  const onSqlite = await run(async () => ({ extra: {}, close: async () => undefined }));
  let databases = 0;
  const url = await server.createDatabase('pipeline');
  const onPostgres = await run(async (clock) => {
    const store = await openPostgresStore(url, { secrets: ephemeralSecretBox(), limits: { maxConnections: 3 } });
    databases++;
    return {
      extra: { repository: new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now()) },
      close: () => store.close(),
    };
  });
  expect(databases).toBe(3);
  const check = await openPostgresStore(url, { secrets: ephemeralSecretBox() });
  try {
    const { rows } = await check.pool.query('SELECT COUNT(*)::int AS n FROM anomalies');
    expect(rows[0].n).toBe(onPostgres.anomalies.length);
  } finally {
    await check.close();
  }
  expect(onSqlite.anomalies.filter((a) => a.state === 'closed')).toHaveLength(1);
  expect(onPostgres).toEqual(onSqlite);
}, 120_000);
