import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Anomaly } from '../../src/contract/pipeline';
import { FIRST_PIECE_TARGETS } from '../../src/server/pipeline/checkpoint';
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

/**
 * `targets`: more than FIRST_PIECE_TARGETS and the replay's checkpoints write their states in pieces
 * ahead of the last transaction. `retry`: a refused cycle is run again at once, at the same time (a
 * replay refused and run a minute later starts its history a minute later: its targets would differ).
 */
async function run(refuse: (cycle: number) => boolean, { targets = TARGETS, retry = false } = {}) {
  const querier = spikingFleet({ targets, spikeAt: SPIKE, name: padded });
  const clock = new TestClock(NOW);
  const h: Harness = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
  /** For each refused cycle, the stored states it changed (written ahead of its refused last transaction). */
  const aheadOfRefusal: number[] = [];
  const events: string[] = [];
  const hear = (kind: string) => (e: { anomaly: Anomaly | { id: number; state: string } }) =>
    events.push(`${kind} ${e.anomaly.id} ${e.anomaly.state}`);
  h.pipeline.addListener({ opened: hear('opened'), updated: hear('updated'), closed: hear('closed') });
  const degraded: boolean[] = [];
  let closed = false;
  try {
    for (let c = 0; c < CYCLES; c++) {
      if (refuse(c)) {
        // The resume point is the last row a cycle writes (its row exists from the start: the watch's
        // definition): everything before it in its transaction is undone.
        h.store.db.exec(
          `CREATE TRIGGER refuse BEFORE UPDATE ON pipeline_watches BEGIN SELECT RAISE(ABORT, 'disk full'); END`
        );
        const statesNow = () =>
          new Map(
            h.store.db
              .prepare('SELECT id, checkpoint FROM pipeline_targets')
              .all()
              .map((r) => {
                const { id, checkpoint } = r as { id: string; checkpoint: Buffer };
                return [id, checkpoint.toString('base64')];
              })
          );
        const before = {
          resume: await h.pipeline.repo.lastProcessed('w'),
          anomalies: summary(await h.pipeline.anomalies({})),
          states: statesNow(),
        };
        await h.pipeline.runOnce();
        expect({
          resume: await h.pipeline.repo.lastProcessed('w'),
          anomalies: summary(await h.pipeline.anomalies({})),
        }).toEqual({ resume: before.resume, anomalies: before.anomalies });
        aheadOfRefusal.push([...statesNow()].filter(([id, state]) => before.states.get(id) !== state).length);
        expect(h.pipeline.watches()[0].lastError).toMatchObject({ kind: 'internal', message: 'disk full' });
        h.store.db.exec('DROP TRIGGER refuse');
        if (retry) {
          await h.pipeline.runOnce();
        }
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
      const { versions } = db.prepare('SELECT COUNT(*) AS versions FROM models').get() as { versions: number };
      return { anomalies, states, events, degraded, aheadOfRefusal, versions };
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
    // A cycle's checkpoint of a dozen targets is one transaction: a refused one wrote nothing.
    expect(faulty.aheadOfRefusal).toEqual([...REFUSED].map(() => 0));
  }, 60_000);

  it('loses and duplicates nothing when a large checkpoint is refused after some of its states were written ahead', async () => {
    // The replay (cycle 0) writes every target: its first piece goes before the last transaction, refused.
    const options = { targets: FIRST_PIECE_TARGETS + 44, retry: true };
    const reference = await run(() => false, options);
    expect(reference.anomalies.filter((a) => a.target === 'w{job="j07"}')).toHaveLength(1);

    const faulty = await run((c) => c === 0, options);
    expect(faulty.aheadOfRefusal).toEqual([FIRST_PIECE_TARGETS]);
    // Replayed again at once, those targets skipped the steps their stored states had seen: every
    // target learned each step once.
    expect(faulty.anomalies).toEqual(reference.anomalies);
    const read = (states: Record<string, string>) =>
      Object.entries(states).map(([id, text]) => ({ id, ...(JSON.parse(text) as { modelVersion: number }) }));
    const learned = (states: Record<string, string>) => read(states).map((s) => ({ ...s, modelVersion: 0 }));
    expect(learned(faulty.states)).toEqual(learned(reference.states));
    // The refused cycle had recorded every target's first model version (a write of its own, before
    // the checkpoint); the targets of its refused last transaction, restored without theirs, found it
    // again on the retry instead of recording a second.
    expect(read(faulty.states).map((s) => s.modelVersion)).toEqual(read(faulty.states).map(() => 1));
    expect(faulty.versions).toBe(FIRST_PIECE_TARGETS + 44);
    const once = (events: string[]) => events.filter((e) => !e.startsWith('updated'));
    expect(once(faulty.events)).toEqual(once(reference.events));
  }, 120_000);
});
