import { rmSync } from 'node:fs';
import type { PipelineDeps } from '../../src/server/pipeline/pipeline';
import type { TargetOwnership } from '../../src/server/pipeline/ownership';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openPostgresStore } from '../../src/server/store/postgres';
import { PostgresPipelineRepository } from '../../src/server/store/postgres/pipeline';
import { postgresForTests } from '../harness/postgres';
import { spikingFleet, spikingWatchConfig } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';

// An anomaly opens in a cycle that stores its target's state in the same commit as the anomaly's
// first insert: the state's open record goes without the id that insert gives it. Restored from that
// state (a restart, or another replica taking the target over from the store), the episode goes on:
// it is the same anomaly, already told of. Listeners must not hear it opened again (the healing
// engine would act on it twice), nor the opened counter count it twice, nor a second row be written.

const NOW = Date.UTC(2025, 3, 7, 12);
const SPIKE = NOW + 30 * MINUTE;
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

const storedOpen = async (h: Harness) => (await h.pipeline.repo.loadTargets('w')).find((t) => t.id === J7)?.state.open;

/**
 * Opens the spike's anomaly in a process whose clock starts at `startAt` (NOW: a cycle a minute up
 * to the spike; SPIKE: the first run's replay of the history), stops it right after, and runs a
 * second process on the same store until the anomaly has closed: what listeners heard of it, its
 * rows, and how often the opened counter counted it.
 */
async function acrossRestart(openStore: OpenStore, startAt: number, ownership?: TargetOwnership) {
  const querier = spikingFleet({ targets: 8, spikeAt: SPIKE });
  const clock = new TestClock(startAt);
  const events: string[] = [];
  const hear = (kind: string) => (e: { anomaly: { id: number; target: string } }) => {
    if (e.anomaly.target === J7) {
      events.push(`${kind} ${e.anomaly.id}`);
    }
  };
  const start = async (dataDir?: string) => {
    const store = await openStore(clock);
    const extra = { querierFor: () => querier, ...(ownership ? { ownership } : {}), ...store.extra };
    const h = buildPipeline(spikingWatchConfig, clock, { dataDir, extra });
    h.pipeline.addListener({ opened: hear('opened'), updated: hear('updated'), closed: hear('closed') });
    let closing: Promise<void> | undefined;
    return {
      h,
      // Once: after a failed expectation too (the `finally` below), not twice.
      close: (remove = false) =>
        (closing ??= (async () => {
          await h.close(remove);
          await store.close();
        })()),
    };
  };

  const first = await start();
  let second: Awaited<ReturnType<typeof start>> | undefined;
  try {
    await first.h.pipeline.runOnce();
    // The cycle ending at the spike's first step opens the anomaly.
    while (clock.ms < SPIKE) {
      clock.advance(MINUTE);
      await first.h.pipeline.runOnce();
    }
    const [opened] = await first.h.pipeline.anomalies({ target: J7 });
    expect(opened).toMatchObject({ start: SPIKE, end: SPIKE, state: 'open' });
    expect(events).toEqual([`opened ${opened.id}`]);
    const countedFirst = await openedTotal(first.h);
    expect(countedFirst).toBe(1);
    // The target's state went in the commit that inserted the anomaly: its open record has no id.
    const stored = await storedOpen(first.h);
    expect(stored).toMatchObject({ start: SPIKE, state: 'open' });
    expect(stored?.id).toBeUndefined();
    await first.close();

    second = await start(first.h.dataDir);
    // The spike goes on for five more steps, then the anomaly closes.
    while (clock.ms < SPIKE + 10 * MINUTE) {
      clock.advance(MINUTE);
      await second.h.pipeline.runOnce();
    }
    return {
      id: opened.id,
      events,
      rows: await second.h.pipeline.anomalies({ target: J7 }),
      counted: countedFirst + (await openedTotal(second.h)),
    };
  } finally {
    await first.close();
    await second?.close();
    rmSync(first.h.dataDir, { recursive: true, force: true });
  }
}

/** Heard opened once, then updated as it went on and closed; one row, closed where the spike ended; counted once. */
function expectOnce({ id, events, rows, counted }: Awaited<ReturnType<typeof acrossRestart>>): void {
  expect(events.filter((e) => e.startsWith('opened'))).toEqual([`opened ${id}`]);
  expect(events).toContain(`updated ${id}`);
  expect(events.at(-1)).toBe(`closed ${id}`);
  expect(new Set(events.map((e) => e.split(' ')[1]))).toEqual(new Set([String(id)]));
  expect(rows).toEqual([expect.objectContaining({ id, start: SPIKE, end: SPIKE + 6 * MINUTE, state: 'closed' })]);
  expect(counted).toBe(1);
}

describe('an open anomaly restored from the state stored with its first insert', () => {
  it.each([
    ['one process restarted', 'a cycle a minute', NOW, undefined],
    ['one process restarted', "the first run's replay of the history", SPIKE, undefined],
    ['replicas sharing the watch, the target taken up from the store', 'a cycle a minute', NOW, owningAll],
    ['replicas sharing the watch, the target taken up from the store', "the first run's replay", SPIKE, owningAll],
  ])('%s, opened in %s: opened once, one row, counted once', async (_name, _opening, startAt, ownership) => {
    expectOnce(await acrossRestart(onSqlite, startAt, ownership));
  });

  describe('on PostgreSQL', () => {
    const server = postgresForTests();
    let databases = 0;
    /** One database for both processes of a test. */
    const onPostgres = (): OpenStore => {
      let url: Promise<string> | undefined;
      return async (clock) => {
        url ??= server().createDatabase(`restored_open_${databases++}`);
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

    it.each([
      ['one process restarted', undefined],
      ['replicas sharing the watch, the target taken up from the store', owningAll],
    ])(
      '%s: opened once, one row, counted once',
      async (_name, ownership) => {
        expectOnce(await acrossRestart(onPostgres(), NOW, ownership));
      },
      60_000
    );
  });
});
