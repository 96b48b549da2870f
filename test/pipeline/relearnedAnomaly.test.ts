import { rmSync } from 'node:fs';
import type { PipelineDeps } from '../../src/server/pipeline/pipeline';
import type { TargetOwnership } from '../../src/server/pipeline/ownership';
import type { PipelineRepository } from '../../src/server/pipeline/store/repository';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openPostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { postgresForTests } from '../harness/postgres';
import { spikingFleet, spikingWatchConfig } from '../harness/spikingFleet';
import { buildPipeline, HOUR, MINUTE, TestClock, type Harness } from './helpers';

// An anomaly is open on a target whose stored last step lies a day ahead (a clock that ran ahead, or a
// corrupt row): the target relearns from the watch's history (WatchRunner.relearnAhead), which its
// fresh models replay. Listeners (the healing engine, annotations) and the opened counter must hear
// what happened to the fault, not to the target's models. Found again by the replay, it is the same
// anomaly going on: never heard closed and opened again (healing would take it for a resolved fault
// and a new one), nor counted twice. Not found again, it closes, once.

const NOW = Date.UTC(2025, 3, 7, 12);
const SPIKE = NOW + 30 * MINUTE;
const AHEAD = NOW + 24 * HOUR;
const J7 = 'w{job="j7"}';

/** Replicas sharing the watches, this one owning every target: each is taken up from the store as it arrives. */
const owningAll: TargetOwnership = { identity: 'replica-a', owns: () => true, settled: () => true };

/** A store for one process: the harness's SQLite (none given) or another repository, closed with the process. */
type OpenStore = (clock: TestClock) => Promise<{ extra: Partial<PipelineDeps>; close(): Promise<void> }>;
const onSqlite: OpenStore = async () => ({ extra: {}, close: async () => undefined });

const openedTotal = async (h: Harness) =>
  (await h.metrics.getSingleMetric('failureprophet_anomalies_opened_total')!.get()).values.reduce(
    (sum, v) => sum + v.value,
    0
  );

/** Rewrites the stored state of target `id` with its last step at `lastAt`, through the repository (any store). */
async function storeLastStep(repo: PipelineRepository, id: string, lastAt: number): Promise<void> {
  const stored = (await repo.loadTargets('w')).find((t) => t.id === id)!;
  await repo.commitCycle({
    watch: 'w',
    targets: [{ ...stored, state: { ...stored.state, lastAt } }],
    anomalies: [],
    predictions: [],
    forgotten: [],
  });
}

/** What Prometheus answers the relearning target's replay with: the spike as before, a step later, or none. */
const REPLAYS = {
  sameStep: spikingFleet({ targets: 8, spikeAt: SPIKE }),
  stepLater: spikingFleet({ targets: 8, spikeAt: SPIKE + MINUTE }),
  none: spikingFleet({ targets: 8, spikeAt: 0 }),
};

/**
 * A first process replays the history up to two steps into the spike: the anomaly is open. Its
 * target's stored last step is set a day ahead, and a second process on the same store, reading
 * `replay` from Prometheus, runs a cycle a minute until the spike is long over (restarted after its
 * first cycle when `restart`): what listeners of the processes after the first heard of J7, its rows,
 * and how often the opened counter counted in all.
 */
async function relearnWhileOpen(
  openStore: OpenStore,
  replay: RangeQuerier,
  { ownership, restart = false }: { ownership?: TargetOwnership; restart?: boolean } = {}
) {
  const clock = new TestClock(SPIKE + 2 * MINUTE);
  const events: string[] = [];
  const hear = (kind: string) => (e: { anomaly: { id: number; target: string } }) => {
    if (e.anomaly.target === J7) {
      events.push(`${kind} ${e.anomaly.id}`);
    }
  };
  const start = async (querier: RangeQuerier, dataDir?: string) => {
    const store = await openStore(clock);
    const extra = { querierFor: () => querier, ...(ownership ? { ownership } : {}), ...store.extra };
    const h = buildPipeline(spikingWatchConfig, clock, { dataDir, extra });
    h.pipeline.addListener({ opened: hear('opened'), updated: hear('updated'), closed: hear('closed') });
    let closing: Promise<void> | undefined;
    return {
      h,
      close: () =>
        (closing ??= (async () => {
          await h.close();
          await store.close();
        })()),
    };
  };

  const first = await start(REPLAYS.sameStep);
  let second: Awaited<ReturnType<typeof start>> | undefined;
  try {
    await first.h.pipeline.runOnce();
    const [opened] = await first.h.pipeline.anomalies({ target: J7 });
    expect(opened).toMatchObject({ start: SPIKE, state: 'open' });
    expect(events).toEqual([`opened ${opened.id}`]);
    const countedFirst = await openedTotal(first.h);
    expect(countedFirst).toBe(1);
    await first.h.pipeline.stop();
    await storeLastStep(first.h.pipeline.repo, J7, AHEAD);
    await first.close();
    events.length = 0;

    let counted = countedFirst;
    second = await start(replay, first.h.dataDir);
    clock.advance(MINUTE);
    await second.h.pipeline.runOnce();
    if (restart) {
      counted += await openedTotal(second.h);
      await second.close();
      second = await start(replay, first.h.dataDir);
    }
    while (clock.ms < SPIKE + 12 * MINUTE) {
      clock.advance(MINUTE);
      await second.h.pipeline.runOnce();
    }
    return {
      id: opened.id,
      events,
      rows: await second.h.pipeline.anomalies({ target: J7 }),
      counted: counted + (await openedTotal(second.h)),
    };
  } finally {
    await first.close();
    await second?.close();
    rmSync(first.h.dataDir, { recursive: true, force: true });
  }
}

/** Found again: heard going on, then closed once, where the replay saw the spike end; one row; counted once. */
function expectContinued(
  { id, events, rows, counted }: Awaited<ReturnType<typeof relearnWhileOpen>>,
  spikeEnd: number
): void {
  expect(events.filter((e) => !e.startsWith('updated'))).toEqual([`closed ${id}`]);
  expect(events).toContain(`updated ${id}`);
  expect(events.at(-1)).toBe(`closed ${id}`);
  expect(new Set(events)).toEqual(new Set([`updated ${id}`, `closed ${id}`]));
  expect(rows).toEqual([expect.objectContaining({ id, start: SPIKE, end: spikeEnd, state: 'closed' })]);
  expect(counted).toBe(1);
}

/** Not found again: heard closed once, where the first process had left it; one row; counted once. */
function expectClosedOnce({ id, events, rows, counted }: Awaited<ReturnType<typeof relearnWhileOpen>>): void {
  expect(events).toEqual([`closed ${id}`]);
  expect(rows).toEqual([expect.objectContaining({ id, start: SPIKE, end: SPIKE + 2 * MINUTE, state: 'closed' })]);
  expect(counted).toBe(1);
}

const PROCESSES = [
  ['one process', undefined],
  ['replicas sharing the watch', owningAll],
] as const;

describe('an anomaly open on a target that relearns from the history', () => {
  it.each(PROCESSES)(
    '%s: the replay finds it again from the same step: it goes on, closes once, counted once',
    async (_n, ownership) => {
      expectContinued(await relearnWhileOpen(onSqlite, REPLAYS.sameStep, { ownership }), SPIKE + 6 * MINUTE);
    }
  );

  it.each(PROCESSES)(
    '%s: the replay finds it from a later step: the same anomaly (its id and start kept), not a second one',
    async (_n, ownership) => {
      expectContinued(await relearnWhileOpen(onSqlite, REPLAYS.stepLater, { ownership }), SPIKE + 7 * MINUTE);
    }
  );

  it.each(PROCESSES)(
    '%s: the replay does not find it: it closes once, and is not counted again',
    async (_n, ownership) => {
      expectClosedOnce(await relearnWhileOpen(onSqlite, REPLAYS.none, { ownership }));
    }
  );

  it.each(PROCESSES)(
    '%s, restarted while the replay may still find it: it is still waited for, and closes once',
    async (_n, ownership) => {
      expectClosedOnce(await relearnWhileOpen(onSqlite, REPLAYS.none, { ownership, restart: true }));
    }
  );

  describe('on PostgreSQL', () => {
    const server = postgresForTests();
    let databases = 0;
    /** One database for every process of a test. */
    const onPostgres = (): OpenStore => {
      let url: Promise<string> | undefined;
      return async (clock) => {
        url ??= server().createDatabase(`relearned_${databases++}`);
        const store = await openPostgresStore(await url, {
          secrets: ephemeralSecretBox(),
          limits: { maxConnections: 3 },
        });
        return {
          extra: { repository: new PostgresPipelineRepository(store.pool, store.where, 4, () => clock.now()) },
          close: () => store.close(),
        };
      };
    };

    it.each(PROCESSES)('%s: found again, it goes on and closes once, counted once', async (_n, ownership) => {
      expectContinued(await relearnWhileOpen(onPostgres(), REPLAYS.sameStep, { ownership }), SPIKE + 6 * MINUTE);
    });

    it.each(PROCESSES)('%s: not found, restarted meanwhile, it closes once', async (_n, ownership) => {
      expectClosedOnce(await relearnWhileOpen(onPostgres(), REPLAYS.none, { ownership, restart: true }));
    });
  });
});
