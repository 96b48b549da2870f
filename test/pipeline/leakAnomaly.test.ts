import type { Anomaly } from '../../src/contract/pipeline';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { demoLeak } from './demoLeak';
import { buildPipeline, composeWatch, type Harness, MINUTE, TestClock } from './helpers';

const T0 = Date.UTC(2025, 2, 3, 9);

/**
 * The compose demo's leak on shop-0, watched as compose/watches.yaml says, from its forecast (about
 * two hours in) through its restart at the limit: the anomaly the forecast opens, as the API lists it.
 */
describe("the anomaly of the compose demo's leak (real Prometheus)", () => {
  const leak = demoLeak(T0, 15 * MINUTE);
  const crossing = T0 + leak.restartMs;
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(T0 + 2 * MINUTE);
  /** The open anomaly of shop-0 after each cycle, and when. */
  const seen: Array<{ at: number; anomaly: Anomaly }> = [];

  beforeAll(async () => {
    prom = await startPrometheus(leak.series);
    const watch = composeWatch('demo-memory');
    h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch] }, clock);
    // Every five minutes, each minute around the restart; the data ends 15 minutes after it.
    for (
      ;
      clock.ms < crossing + 10 * MINUTE;
      clock.advance(Math.abs(clock.ms - crossing) < 10 * MINUTE ? MINUTE : 5 * MINUTE)
    ) {
      await h.pipeline.runOnce();
      const open = await h.pipeline.anomalies({ watch: 'demo-memory', state: 'open', limit: 100 });
      expect(open.length).toBeLessThanOrEqual(1);
      if (open[0]) {
        seen.push({ at: clock.ms, anomaly: open[0] });
      }
    }
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('names the forecast once while it counts down, not once per minute of the countdown', () => {
    const countdown = seen.filter((s) => s.at < crossing);
    // Opened by the forecast within the hour before the crossing, and watched at least 40 minutes of it.
    expect(countdown.length).toBeGreaterThanOrEqual(8);
    expect(new Set(countdown.map((s) => s.anomaly.id)).size).toBe(1);
    expect(countdown.map((s) => s.anomaly.signals)).toEqual(countdown.map(() => ['memory (limit forecast)']));
  });

  it('calls the leak resource exhaustion, before and after the restart it foretold', () => {
    expect(seen.some((s) => s.at > crossing)).toBe(true);
    expect(seen.map((s) => s.anomaly.failureModel)).toEqual(seen.map(() => 'resource_exhaustion'));
  });

  it('adds the restart to the same anomaly as one more signal, named once', () => {
    expect(new Set(seen.map((s) => s.anomaly.id)).size).toBe(1);
    expect(seen.at(-1)!.anomaly.signals).toEqual(['memory (limit forecast)', 'restarts']);
  });

  it('reads an anomaly an earlier build stored with a countdown per step as naming the forecast once', async () => {
    const [{ id }] = await h.pipeline.anomalies({ watch: 'demo-memory', limit: 1 });
    const legacy = [
      'memory (limit 1 in 52 min or later)',
      'memory (limit 1 in 51 min)',
      'memory (limit 1 possibly reached now)',
      'memory (already above limit 1)',
      'restarts',
      'restarts (stopped)',
      'memory (vs peers)',
    ];
    h.store.db.prepare('UPDATE anomalies SET signals = ? WHERE id = ?').run(JSON.stringify(legacy), id);
    const [stored] = await h.pipeline.anomalies({ watch: 'demo-memory', limit: 1 });
    expect(stored.signals).toEqual(['memory (limit forecast)', 'restarts', 'restarts (stopped)', 'memory (vs peers)']);
  });
});
