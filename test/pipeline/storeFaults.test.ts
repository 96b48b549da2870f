import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Anomaly } from '../../src/contract/pipeline';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { replaceNaN } from '../../src/server/pipeline/store/stateCodec';
import { DATABASE_FILE } from '../../src/server/store/sqlite';
import { padded, spikingFleet, spikingWatchConfig } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';

// The store refusing a cycle's commit (a full disk, a lost database) while the loop runs: the cycle
// leaves nothing half-written, the watch says it is degraded, and the next cycle starts again from
// the last committed checkpoint, so in the end nothing is lost, duplicated or announced twice.
const NOW = Date.UTC(2025, 3, 7, 12);
const TARGETS = 12;
/** Target j07 departs from its usual level for six steps here: an anomaly opens, then closes. */
const SPIKE = NOW + 6 * MINUTE;
const CYCLES = 18;
/** The cycles whose commit the store refuses: one before the spike, the one that opens its anomaly, those around its close. */
const REFUSED = new Set([3, 6, 12, 13]);

const querier = spikingFleet({ targets: TARGETS, spikeAt: SPIKE, name: padded });

const config = spikingWatchConfig;

const summary = (anomalies: Anomaly[]) =>
  anomalies.map(({ id, target, start, end, peakScore, severity, state }) => ({
    id,
    target,
    start,
    end,
    peakScore,
    severity,
    state,
  }));

async function run(refuse: (cycle: number) => boolean) {
  const clock = new TestClock(NOW);
  const h: Harness = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
  const events: string[] = [];
  const hear = (kind: string) => (e: { anomaly: Anomaly | { id: number; state: string } }) =>
    events.push(`${kind} ${e.anomaly.id} ${e.anomaly.state}`);
  h.pipeline.addListener({ opened: hear('opened'), updated: hear('updated'), closed: hear('closed') });
  const degraded: boolean[] = [];
  let closed = false;
  try {
    for (let c = 0; c < CYCLES; c++) {
      if (refuse(c)) {
        // The resume point is the last row a cycle writes: everything before it in the transaction is undone.
        h.store.db.exec(
          `CREATE TRIGGER refuse BEFORE UPDATE ON pipeline_watches BEGIN SELECT RAISE(ABORT, 'disk full'); END`
        );
        const before = {
          resume: await h.pipeline.repo.lastProcessed('w'),
          anomalies: summary(await h.pipeline.anomalies({})),
          states: h.store.db.prepare('SELECT id, checkpoint FROM pipeline_targets ORDER BY id').all(),
        };
        await h.pipeline.runOnce();
        expect({
          resume: await h.pipeline.repo.lastProcessed('w'),
          anomalies: summary(await h.pipeline.anomalies({})),
          states: h.store.db.prepare('SELECT id, checkpoint FROM pipeline_targets ORDER BY id').all(),
        }).toEqual(before);
        expect(h.pipeline.watches()[0].lastError).toMatchObject({ kind: 'internal', message: 'disk full' });
        h.store.db.exec('DROP TRIGGER refuse');
      } else {
        await h.pipeline.runOnce();
      }
      degraded.push(h.pipeline.watches()[0].degraded);
      clock.advance(MINUTE);
    }
    const anomalies = summary(await h.pipeline.anomalies({}));
    // Stopping stores every state not yet stored: then the two runs' stores must hold the same.
    await h.close();
    closed = true;
    const db = new Database(join(h.dataDir, DATABASE_FILE));
    try {
      const stored = await new SqlitePipelineRepository(db, () => clock.ms).loadTargets('w');
      const states = Object.fromEntries(stored.map((t) => [t.id, JSON.stringify(t.state, replaceNaN)]));
      return { anomalies, states, events, degraded };
    } finally {
      db.close();
    }
  } finally {
    if (closed) {
      rmSync(h.dataDir, { recursive: true, force: true });
    } else {
      await h.close(true);
    }
  }
}

describe('a store that refuses a cycle while the loop runs', () => {
  it('loses, duplicates and announces nothing twice: each refused cycle is scored again from the last committed checkpoint', async () => {
    const reference = await run(() => false);
    expect(reference.anomalies.filter((a) => a.target === 'w{job="j07"}')).toHaveLength(1);
    expect(reference.events[0]).toMatch(/^opened/);
    expect(reference.events.at(-1)).toMatch(/^closed/);

    const faulty = await run((c) => REFUSED.has(c));
    expect(faulty.anomalies).toEqual(reference.anomalies);
    expect(faulty.states).toEqual(reference.states);
    // Opened and closed once, with the same id (a refused cycle's updates are folded into the next one's).
    const once = (events: string[]) => events.filter((e) => !e.startsWith('updated'));
    expect(once(faulty.events)).toEqual(once(reference.events));
    // Degraded after each refused cycle, and well again after the next.
    expect(faulty.degraded.map((d, c) => [c, d]).filter(([, d]) => d)).toEqual([...REFUSED].map((c) => [c, true]));
  }, 60_000);
});
