import type { TargetOwnership } from '../../src/server/pipeline/ownership';
import { decodeState, encodeState } from '../../src/server/pipeline/store/stateCodec';
import { spikingWatchConfig } from '../harness/spikingFleet';
import { HOUR, MINUTE, TestClock, type Harness } from './helpers';
import { fleetUpTo, j7Anomalies, reopenedPipelines, storedResumePoint, warnings } from './reopened';

// A target's own stored last step (its state's lastAt) after the step being scored: stored by a
// process whose clock ran ahead, or a corrupt row, while the watch's resume point is sane. Trusted,
// the target skips every real step up to it (TargetModel.step): it scores nothing, no anomaly can
// open on it, for as long as the clock was ahead, and nothing says so.

const NOW = Date.UTC(2025, 3, 7, 12);
const SPIKE = NOW + 30 * MINUTE;
const AHEAD = NOW + 24 * HOUR;
const J7 = 'w{job="j7"}';
const iso = (ms: number) => new Date(ms).toISOString();

/** Rewrites the stored state of target `id` with its last step at `lastAt` (what a corrupt or hand-edited row holds). */
function storeLastStep(h: Harness, id: string, lastAt: number): void {
  const row = h.store.db.prepare('SELECT checkpoint FROM pipeline_targets WHERE id = ?').get(id) as {
    checkpoint: Buffer;
  };
  const state = decodeState(row.checkpoint);
  h.store.db
    .prepare('UPDATE pipeline_targets SET checkpoint = ?, last_sample_ms = ? WHERE id = ?')
    .run(encodeState({ ...state, lastAt }), lastAt, id);
}

const storedLastSteps = (h: Harness) =>
  (
    h.store.db.prepare('SELECT id, last_sample_ms AS l FROM pipeline_targets ORDER BY id').all() as Array<{ l: number }>
  ).map((r) => r.l);

/** Replicas sharing the watches, this one owning every target: each is taken up from the store as it arrives. */
const owningAll: TargetOwnership = { identity: 'replica-a', owns: () => true, settled: () => true };

describe("a target's stored last step after the cycle's end", () => {
  const { open, close } = reopenedPipelines();

  /** Runs one cycle a minute up to SPIKE + 15 min, Prometheus keeping up with the clock. */
  async function runThroughSpike(h: Harness, clock: TestClock, setReal: (ms: number) => void): Promise<void> {
    for (; clock.ms < SPIKE + 15 * MINUTE;) {
      clock.advance(MINUTE);
      setReal(clock.ms);
      await h.pipeline.runOnce();
    }
  }

  /**
   * What the watch and its log say of `targets` targets whose last step is `lastStep` (J7 when it is
   * the one), found at a cycle ending at `cycleEnd`.
   */
  function expectSaid(
    h: Harness,
    lines: Array<Record<string, unknown>>,
    { targets, lastStep, cycleEnd }: { targets: number; lastStep: number; cycleEnd: number }
  ): void {
    const watch = h.pipeline.watches()[0];
    expect(watch).toMatchObject({ degraded: true, lastProcessedAt: cycleEnd, lastError: { kind: 'internal' } });
    expect(watch.lastError?.message).toContain(targets === 1 ? `target ${J7}'s last step` : `${targets} targets`);
    expect(watch.lastError?.message).toContain(iso(lastStep));
    expect(watch.lastError?.message).toContain(iso(cycleEnd));
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        watch: 'w',
        targets,
        ...(targets === 1 ? { target: J7 } : {}),
        lastStep: iso(lastStep),
        cycleEnd: iso(cycleEnd),
      })
    );
  }

  it.each([
    ['one process', undefined],
    ['replicas sharing the watch', owningAll],
  ])(
    'a corrupt row a day ahead (%s): the target relearns from the history, says so, and opens the anomaly it must',
    async (_name, ownership) => {
      let real = NOW;
      const querier = fleetUpTo(SPIKE, () => real);
      const clock = new TestClock(NOW);
      const extra = { querierFor: () => querier, ...(ownership ? { ownership } : {}) };
      const first = open(spikingWatchConfig, clock, { extra });
      await first.pipeline.runOnce();
      await first.pipeline.stop();
      expect(storedResumePoint(first)).toBe(NOW);
      storeLastStep(first, J7, AHEAD);
      await close(first);

      clock.ms = NOW + MINUTE;
      real = clock.ms;
      const { logger, lines } = warnings();
      const second = open(spikingWatchConfig, clock, { dataDir: first.dataDir, extra: { ...extra, logger } });
      await second.pipeline.runOnce();
      expectSaid(second, lines, { targets: 1, lastStep: AHEAD, cycleEnd: NOW + MINUTE });
      // Scored at this cycle's step, as every other target.
      expect(second.pipeline.targets().map((t) => t.lastScoredAt)).toEqual(Array(8).fill(NOW + MINUTE));

      await runThroughSpike(second, clock, (ms) => (real = ms));
      expect(second.pipeline.watches()[0]).toMatchObject({ degraded: false, lastProcessedAt: clock.ms });
      expect((await j7Anomalies(second)).map((a) => a.start)).toEqual([SPIKE]);
      await second.pipeline.stop();
      expect(storedLastSteps(second)).toEqual(Array(8).fill(clock.ms));
    }
  );

  it('a target a few minutes ahead (clocks of replicas apart) keeps what it learned: blind only until the clock reaches it', async () => {
    let real = NOW;
    const querier = fleetUpTo(SPIKE, () => real);
    const clock = new TestClock(NOW);
    const first = open(spikingWatchConfig, clock, { extra: { querierFor: () => querier } });
    await first.pipeline.runOnce();
    await first.pipeline.stop();
    storeLastStep(first, J7, NOW + 3 * MINUTE);
    await close(first);

    clock.ms = NOW + MINUTE;
    real = clock.ms;
    const { logger, lines } = warnings();
    const second = open(spikingWatchConfig, clock, {
      dataDir: first.dataDir,
      extra: { querierFor: () => querier, logger },
    });
    await second.pipeline.runOnce();
    expect(second.pipeline.watches()[0]).toMatchObject({ degraded: false, lastError: null });
    expect(lines).toEqual([]);
    const j7 = () => second.pipeline.targets().find((t) => t.id === J7)!;
    expect(j7()).toMatchObject({ learning: false, lastScoredAt: NOW + 3 * MINUTE });

    await runThroughSpike(second, clock, (ms) => (real = ms));
    expect(j7()).toMatchObject({ learning: false, lastScoredAt: clock.ms });
    expect((await j7Anomalies(second)).map((a) => a.start)).toEqual([SPIKE]);
  });

  it('the anomaly open on it is held when it relearns, and continued when the relearned target finds it again', async () => {
    let real = SPIKE + 2 * MINUTE;
    const querier = fleetUpTo(SPIKE, () => real);
    const clock = new TestClock(real);
    const first = open(spikingWatchConfig, clock, { extra: { querierFor: () => querier } });
    await first.pipeline.runOnce();
    await first.pipeline.stop();
    const [opened] = await j7Anomalies(first);
    expect(opened).toMatchObject({ start: SPIKE, state: 'open' });
    storeLastStep(first, J7, AHEAD);
    await close(first);

    clock.advance(MINUTE);
    real = clock.ms;
    const events: string[] = [];
    const second = open(spikingWatchConfig, clock, { dataDir: first.dataDir, extra: { querierFor: () => querier } });
    const hear = (kind: string) => (e: { anomaly: { id: number; state: string } }) =>
      events.push(`${kind} ${e.anomaly.id} ${e.anomaly.state}`);
    second.pipeline.addListener({ opened: hear('opened'), updated: hear('updated'), closed: hear('closed') });
    await second.pipeline.runOnce();
    // Held as its target relearned; the history replayed for it showed the spike again: the same
    // anomaly goes on, neither closed nor opened again (relearnedAnomaly.test.ts).
    expect(events).toEqual([`updated ${opened.id} open`]);
    expect(await j7Anomalies(second)).toEqual([
      expect.objectContaining({ id: opened.id, start: SPIKE, state: 'open' }),
    ]);

    await runThroughSpike(second, clock, (ms) => (real = ms));
    expect(events.at(-1)).toBe(`closed ${opened.id} closed`);
    expect(await j7Anomalies(second)).toEqual([
      expect.objectContaining({ id: opened.id, start: SPIKE, end: SPIKE + 6 * MINUTE, state: 'closed' }),
    ]);
  });

  it("a state stored by a process whose clock ran a day ahead (and Prometheus's with it): the target's detectors relearn too", async () => {
    let real = NOW;
    // Prometheus's clock ran a day ahead for ten minutes: it holds those samples at the times it gave them.
    const querier = fleetUpTo(SPIKE, () => real, [AHEAD - 10 * MINUTE, AHEAD]);
    const clock = new TestClock(NOW);
    const first = open(spikingWatchConfig, clock, { extra: { querierFor: () => querier } });
    await first.pipeline.runOnce();
    clock.ms = AHEAD;
    await first.pipeline.runOnce();
    await first.pipeline.stop();
    // Every target learned from samples a day ahead: its state and its detectors' are there.
    expect(storedLastSteps(first)).toEqual(Array(8).fill(AHEAD));
    await close(first);

    clock.ms = NOW + MINUTE;
    real = clock.ms;
    const { logger, lines } = warnings();
    const second = open(spikingWatchConfig, clock, {
      dataDir: first.dataDir,
      extra: { querierFor: () => querier, logger },
    });
    await second.pipeline.runOnce();
    expectSaid(second, lines, { targets: 8, lastStep: AHEAD, cycleEnd: NOW + MINUTE });
    // The resume point stored with them was a day ahead too: said as well.
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, resumePoint: iso(AHEAD) }));
    expect(second.pipeline.targets().map((t) => t.lastScoredAt)).toEqual(Array(8).fill(NOW + MINUTE));

    await runThroughSpike(second, clock, (ms) => (real = ms));
    expect(second.pipeline.watches()[0]).toMatchObject({ degraded: false, lastProcessedAt: clock.ms });
    expect((await j7Anomalies(second)).map((a) => a.start)).toEqual([SPIKE]);
  });
});
