import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Anomaly } from '../../src/contract/pipeline';
import { CHECKPOINT_SPREAD_CYCLES } from '../../src/server/pipeline/checkpoint';
import { SqlitePipelineRepository } from '../../src/server/pipeline/store/sqliteRepository';
import { replaceNaN } from '../../src/server/pipeline/store/stateCodec';
import { TargetModel } from '../../src/server/pipeline/targetModel';
import { jobTarget, testSettings } from '../../src/server/pipeline/testTargets';
import { migrate } from '../../src/server/store/migrate';
import { migrations } from '../../src/server/store/migrations';
import { DATABASE_FILE, openSqliteStore } from '../../src/server/store/sqlite';
import { padded, spikingFleet } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock } from './helpers';

const NOW = Date.UTC(2025, 3, 7, 12);
const TARGETS = 30;
/** Target j07 departs from its usual level for six steps here: an anomaly opens and closes across the restart. */
const SPIKE = NOW + 6 * MINUTE;

const querier = spikingFleet({ targets: TARGETS, spikeAt: SPIKE, name: padded });

const config = {
  watches: [{ name: 'w', queries: { x: 'x' }, target: ['job'], step: '1m', history: '3h', lag: 0, probation: 60 }],
};

const summary = (anomalies: Anomaly[]) =>
  anomalies
    .map(({ target, start, end, peakScore, severity, state }) => ({ target, start, end, peakScore, severity, state }))
    .sort((a, b) => a.target.localeCompare(b.target) || a.start - b.start);

/** The targets' states in the store at `dataDir`, on a connection of its own, closed after. */
async function states(dataDir: string, now: () => number) {
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    const targets = await new SqlitePipelineRepository(db, now).loadTargets('w');
    return Object.fromEntries(targets.map((t) => [t.id, JSON.stringify(t.state, replaceNaN)]));
  } finally {
    db.close();
  }
}

describe('checkpoints: only what changed, spread over cycles, resumed after a crash', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'fp-checkpoint-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('writes a share of the targets each cycle, keeps the resume point before what is unwritten, and a crash loses nothing', async () => {
    const cycles = 16;
    // Reference: one process, stopped cleanly at the end.
    const clockA = new TestClock(NOW);
    const a = buildPipeline(config, clockA, { dataDir: dir(), extra: { querierFor: () => querier } });
    const openedA: number[] = [];
    a.pipeline.addListener({ opened: ({ anomaly: x }) => openedA.push(x.start), updated: () => {}, closed: () => {} });
    for (let c = 0; c < cycles; c++) {
      await a.pipeline.runOnce();
      clockA.advance(MINUTE);
    }
    const expected = summary(await a.pipeline.anomalies({}));
    await a.close();
    const expectedStates = await states(a.dataDir, clockA.now);
    expect(expected.filter((x) => x.target === 'w{job="j07"}').length).toBeGreaterThanOrEqual(1);
    expect(openedA.length).toBeGreaterThanOrEqual(1);

    // The same, killed after 9 cycles (no stop: what was not written is lost), then started again.
    const clockB = new TestClock(NOW);
    const dataDir = dir();
    const b = buildPipeline(config, clockB, { dataDir, extra: { querierFor: () => querier } });
    const openedB: number[] = [];
    b.pipeline.addListener({ opened: ({ anomaly: x }) => openedB.push(x.start), updated: () => {}, closed: () => {} });
    const written: number[] = [];
    for (let c = 0; c < 9; c++) {
      await b.pipeline.runOnce();
      written.push(
        (
          b.store.db.prepare('SELECT COUNT(*) AS n FROM pipeline_targets WHERE updated_at = ?').get(clockB.ms) as {
            n: number;
          }
        ).n
      );
      clockB.advance(MINUTE);
    }
    // First cycle: every target is new (and gets its first model version); then a share per cycle.
    expect(written[0]).toBe(TARGETS);
    for (const n of written.slice(1)) {
      expect(n).toBeLessThanOrEqual(Math.ceil(TARGETS / CHECKPOINT_SPREAD_CYCLES) + 1);
    }
    const progress = b.pipeline.watches()[0].lastProcessedAt!;
    const resume = (await b.pipeline.repo.lastProcessed('w'))!;
    expect(resume).toBeLessThan(progress);
    expect(progress - resume).toBeLessThanOrEqual(CHECKPOINT_SPREAD_CYCLES * MINUTE);
    b.store.close();

    const c2 = buildPipeline(config, clockB, { dataDir, extra: { querierFor: () => querier } });
    c2.pipeline.addListener({ opened: ({ anomaly: x }) => openedB.push(x.start), updated: () => {}, closed: () => {} });
    for (let c = 9; c < cycles; c++) {
      await c2.pipeline.runOnce();
      clockB.advance(MINUTE);
    }
    expect(summary(await c2.pipeline.anomalies({}))).toEqual(expected);
    expect(openedB).toEqual(openedA);
    await c2.close();
    expect(await states(dataDir, clockB.now)).toEqual(expectedStates);
  });

  it('reads a store whose target states were written as JSON by the previous build, converting them, and names an unreadable one', async () => {
    const dataDir = dir();
    const settings = testSettings({ detector: 'failureprophet', stepMs: MINUTE, probation: 5 });
    const model = jobTarget('a', settings, 0.24);
    model.signalIndex({ name: 'x', kind: 'memory', limits: { above: 100 } });
    for (let i = 0; i < 40; i++) {
      model.step(NOW + i * MINUTE, [10 + (i % 4)]);
    }
    const state = model.toState();
    const legacy = JSON.stringify(state, replaceNaN);

    // The schema and the row exactly as the previous build left them (migrations 1-4, JSON state).
    const old = new Database(join(dataDir, DATABASE_FILE));
    migrate(old, migrations.slice(0, 4), () => 0);
    const insert = old.prepare(
      'INSERT INTO pipeline_targets (id, watch, labels, state, last_sample_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?)'
    );
    insert.run('w{job="a"}', 'w', '{"job":"a"}', legacy, state.lastAt, NOW);
    insert.run('w{job="b"}', 'w', '{"job":"b"}', '{"version":1,"steps":"many"}', NOW, NOW);
    old.close();

    const store = openSqliteStore(dataDir, () => NOW);
    const repo = new SqlitePipelineRepository(store.db, () => NOW);
    const { targets, unreadable } = await repo.loadCheckpoint('w');
    expect(targets.map((t) => t.id)).toEqual(['w{job="a"}']);
    expect(JSON.stringify(targets[0].state, replaceNaN)).toBe(legacy);
    expect(unreadable).toEqual([{ id: 'w{job="b"}', error: expect.stringMatching(/field steps/) }]);
    const row = store.db.prepare('SELECT state, checkpoint FROM pipeline_targets WHERE id = ?').get('w{job="a"}') as {
      state: string;
      checkpoint: Buffer | null;
    };
    expect(row.state).toBe('');
    expect(row.checkpoint!.length).toBeLessThan(legacy.length);
    // Read again, now from the compact form, the restored model scores on exactly as the original.
    const restored = TargetModel.fromState(
      'w{job="a"}',
      'w',
      { job: 'a' },
      null,
      settings,
      (await repo.loadCheckpoint('w')).targets[0].state
    );
    restored.step(NOW + 40 * MINUTE, [13]);
    model.step(NOW + 40 * MINUTE, [13]);
    expect(restored.score).toBe(model.score);
    expect(JSON.stringify(restored.toState(), replaceNaN)).toBe(JSON.stringify(model.toState(), replaceNaN));
    await expect(repo.loadTargets('w')).rejects.toThrow(/target w\{job="b"\} unreadable: field steps/);
    store.close();
  });
});
