import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { FLEET_WATCH, generatedFleet, LEAK_CROSSING, DEPARTURE_START, MEMORY_LIMIT, MINUTE } from './generated';
import { buildPipeline, TestClock, type Harness } from './helpers';

describe('the watch loop on generated multi-series data (real Prometheus)', () => {
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(LEAK_CROSSING - 30 * MINUTE + 30_000);

  beforeAll(async () => {
    prom = await startPrometheus(generatedFleet());
    // A 6 h forecast horizon keeps the replay quick under Jest (whose sandbox slows numeric code ~10x).
    h = buildPipeline(
      { prometheus: { url: prom.url }, watches: [FLEET_WATCH], pipeline: { predictionHorizon: '6h' } },
      clock
    );
    // History replay up to 30 minutes before the leak crosses its limit.
    await h.pipeline.runOnce();
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('predicts when the leaking pod reaches its memory limit, within 20%, 30 minutes ahead', async () => {
    const id = 'shop-pods{deployment="cache",namespace="shop",pod="cache-0"}';
    // Stored when a forecast starts, moves or ends (predictionRecord.ts): the live one is the latest made.
    const predictions = await h.pipeline.predictions({ target: id, to: LEAK_CROSSING - 30 * MINUTE, limit: 50 });
    expect(predictions.length).toBeGreaterThan(0);
    expect(predictions[0].signal).toBe('memory');
    const target = h.pipeline.targets().find((t) => t.id === id)!;
    const p = { ...target.timeToFailure!, madeAt: target.timeToFailure!.fromMs };
    // The series as backfilled, daily rhythm included, first reaches the limit here (LEAK_CROSSING is the leak's own line).
    const leak = generatedFleet()[0];
    const crossedAt = leak.timestamps[Array.from(leak.values).findIndex((v) => v >= MEMORY_LIMIT)];
    const trueSeconds = (crossedAt - p.madeAt) / 1000;
    const error = Math.abs(p.seconds - trueSeconds) / trueSeconds;
    console.log(
      `memory leak: at ${((LEAK_CROSSING - p.madeAt) / MINUTE).toFixed(0)} min before the crossing the forecast said ${(p.seconds / 60).toFixed(1)} min ` +
        `(90% range ${((p.lowerSeconds ?? NaN) / 60).toFixed(1)}-${((p.upperSeconds ?? NaN) / 60).toFixed(1)} min): error ${(100 * error).toFixed(1)}%`
    );
    expect(LEAK_CROSSING - p.madeAt).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(error).toBeLessThanOrEqual(0.2);
    // The failure is predicted as resource exhaustion.
    expect(target.timeToFailure?.signal).toBe('memory');
    expect(target.object).toEqual({ kind: 'Pod', name: 'cache-0', namespace: 'shop' });
    const open = await h.pipeline.anomalies({ target: id, state: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0].failureModel).toBe('resource_exhaustion');
    expect(['critical', 'high']).toContain(open[0].severity);
  });

  it('flags the replica that departs from its siblings, and only it', async () => {
    const flagged = (await h.pipeline.anomalies({ from: DEPARTURE_START, watch: 'shop-pods', limit: 100 })).filter(
      (a) => a.signals.some((s) => s.includes('vs peers'))
    );
    const pods = new Set(flagged.map((a) => a.labels.pod));
    console.log(
      `peer departure: flagged ${[...pods].join(', ')}; first ${((flagged.at(-1)!.start - DEPARTURE_START) / MINUTE).toFixed(0)} min after the drift began`
    );
    expect([...pods]).toEqual(['web-d']);
    expect(flagged.some((a) => a.failureModel === 'byzantine')).toBe(true);
  });
});
