import { spikingWatchConfig } from '../harness/spikingFleet';
import { HOUR, MINUTE, TestClock } from './helpers';
import { fleetUpTo, j7Anomalies, reopenedPipelines, storedResumePoint, warnings } from './reopened';

const NOW = Date.UTC(2025, 3, 7, 12);
const SPIKE = NOW + 30 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();

describe('a stored resume point that cannot be trusted', () => {
  const { open, close } = reopenedPipelines();

  it("a resume point ahead of the cycle's end (a clock a day ahead for one cycle) is replayed from the history, says so, and misses nothing", async () => {
    let real = NOW;
    const querier = fleetUpTo(SPIKE, () => real);
    const clock = new TestClock(NOW);
    const first = open(spikingWatchConfig, clock, { extra: { querierFor: () => querier } });
    await first.pipeline.runOnce();
    // One cycle on a clock a day ahead: Prometheus has nothing there, the resume point goes a day on.
    clock.ms = NOW + 24 * HOUR;
    await first.pipeline.runOnce();
    expect(storedResumePoint(first)).toBe(NOW + 24 * HOUR);
    await close(first);

    // Restarted with the clock put right.
    clock.ms = NOW + MINUTE;
    real = clock.ms;
    const { logger, lines } = warnings();
    const second = open(spikingWatchConfig, clock, {
      dataDir: first.dataDir,
      extra: { querierFor: () => querier, logger },
    });
    await second.pipeline.runOnce();
    const watch = second.pipeline.watches()[0];
    expect(watch).toMatchObject({ degraded: true, lastProcessedAt: NOW + MINUTE });
    expect(watch.lastError).toMatchObject({ kind: 'internal' });
    expect(watch.lastError?.message).toContain(iso(NOW + 24 * HOUR));
    expect(watch.lastError?.message).toContain(iso(NOW + MINUTE));
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        watch: 'w',
        resumePoint: iso(NOW + 24 * HOUR),
        cycleEnd: iso(NOW + MINUTE),
      })
    );
    // Never past the cycle's end (behind it while target states are still to be written: checkpoint.ts).
    expect(storedResumePoint(second)).toBeLessThanOrEqual(NOW + MINUTE);
    // The targets scored on from their own last step: every one of them is at the cycle's end.
    expect(second.pipeline.targets().map((t) => t.lastScoredAt)).toEqual(Array(8).fill(NOW + MINUTE));

    for (; clock.ms < SPIKE + 15 * MINUTE;) {
      clock.advance(MINUTE);
      real = clock.ms;
      await second.pipeline.runOnce();
    }
    expect(second.pipeline.watches()[0]).toMatchObject({ degraded: false, lastProcessedAt: clock.ms });
    expect(storedResumePoint(second)).toBeLessThanOrEqual(clock.ms);
    expect((await j7Anomalies(second)).map((a) => a.start)).toEqual([SPIKE]);
  });

  it('a clock put back while the watch runs: the watch replays from its stored targets and they score on', async () => {
    let real = NOW;
    const querier = fleetUpTo(SPIKE, () => real);
    const clock = new TestClock(NOW);
    // The default detector scores missing steps: a day of them moved every target's last step scored a day on.
    const config = { watches: [{ ...spikingWatchConfig.watches[0], detector: undefined }] };
    const h = open(config, clock, { extra: { querierFor: () => querier } });
    await h.pipeline.runOnce();
    clock.ms = NOW + 24 * HOUR;
    await h.pipeline.runOnce();
    clock.ms = NOW + MINUTE;
    for (let cycle = 0; cycle < 3; cycle++) {
      real = clock.ms;
      await h.pipeline.runOnce();
      clock.advance(MINUTE);
    }
    clock.ms -= MINUTE;
    expect(h.pipeline.watches()[0]).toMatchObject({ degraded: false, lastProcessedAt: clock.ms });
    expect(h.pipeline.watches()[0].lastError?.message).toContain(iso(NOW + 24 * HOUR));
    expect(storedResumePoint(h)).toBeLessThanOrEqual(clock.ms);
    expect(h.pipeline.targets().map((t) => t.lastScoredAt)).toEqual(Array(8).fill(clock.ms));
  });

  it('an unreadable resume point is taken as none: the history is replayed onto the stored targets, with a warning', async () => {
    const querier = fleetUpTo(SPIKE, () => clock.ms);
    const clock = new TestClock(SPIKE - 5 * MINUTE);
    const first = open(spikingWatchConfig, clock, { extra: { querierFor: () => querier } });
    await first.pipeline.runOnce();
    first.store.db.prepare(`UPDATE pipeline_watches SET last_processed_ms = 'abc'`).run();
    await close(first);

    // Down over the spike.
    clock.ms = SPIKE + 10 * MINUTE;
    const { logger, lines } = warnings();
    const second = open(spikingWatchConfig, clock, {
      dataDir: first.dataDir,
      extra: { querierFor: () => querier, logger },
    });
    await second.pipeline.runOnce();
    expect(second.pipeline.watches()[0]).toMatchObject({
      degraded: false,
      lastError: null,
      targets: 8,
      lastProcessedAt: clock.ms,
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        watch: 'w',
        msg: 'stored resume point unreadable; replaying the watch history',
        err: expect.stringMatching(/last_processed_ms/),
      })
    );
    expect(storedResumePoint(second)).toBeLessThanOrEqual(clock.ms);
    expect((await j7Anomalies(second)).map((a) => a.start)).toEqual([SPIKE]);
    // Restored, not relearned: 3 h + 1 steps before, 15 since (a fresh target would have had 3 h + 1).
    await second.pipeline.stop();
    expect((await second.pipeline.repo.loadTargets('w')).map((t) => t.state.steps)).toEqual(Array(8).fill(181 + 15));
  });
});
