import type { AnomalyEvent } from '../../src/server/pipeline/listener';
import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { pipelineHooks, triggerFromAnomaly } from '../../src/server/healing/fromPipeline';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';

const NOW = Date.UTC(2025, 3, 7, 12);
/** Deployment cart-2's latency leaves its usual level for six steps from here. */
const SPIKE = NOW + 6 * MINUTE;
/** cart-2 is gone from here (scaled away): its open anomaly closes once it is stale. */
const GONE = SPIKE + 12 * MINUTE;

const querier: RangeQuerier = {
  queryRange: async (q) => {
    const n = (q.end - q.start) / q.stepMs + 1;
    const timestamps = Float64Array.from({ length: n }, (_, i) => q.start + i * q.stepMs);
    return [0, 1, 2, 3].map((k) => ({
      labels: { namespace: 'shop', deployment: `cart-${k}` },
      timestamps,
      values: timestamps.map((t) => {
        const spike = k === 2 && t >= SPIKE && t < SPIKE + 6 * MINUTE;
        return k === 2 && t >= GONE ? NaN : 50 + k + 3 * Math.sin(t / (7 * MINUTE) + k) + (spike ? 400 : 0);
      }),
    }));
  },
};

const config = {
  pipeline: { staleAfter: '5m' },
  watches: [
    {
      name: 'latency',
      queries: { p99: 'p99' },
      target: ['namespace', 'deployment'],
      step: '1m',
      history: '3h',
      lag: 0,
      probation: 60,
    },
  ],
};

describe('anomaly events carry what their listeners need', () => {
  let h: Harness;
  afterEach(() => h?.close(true));

  it('each event holds the anomaly as stored, its target object and score, and nothing is read back to build it', async () => {
    const clock = new TestClock(NOW);
    h = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
    const events: Array<{ kind: string; event: AnomalyEvent; stored: Promise<unknown>; score: number | undefined }> =
      [];
    const hear = (kind: string) => (event: AnomalyEvent) =>
      events.push({
        kind,
        event,
        // What the listener was handed before: the row read back (as it is now), here read only to compare.
        stored: h.pipeline.anomalies({ limit: 100 }).then((list) => list.find((a) => a.id === event.anomaly.id)),
        score: h.pipeline.predict(event.anomaly.target)?.score,
      });
    h.pipeline.addListener({ opened: hear('opened'), updated: hear('updated'), closed: hear('closed') });
    await h.pipeline.runOnce();
    const readBack = jest.spyOn(h.pipeline.repo, 'anomaly');
    for (let i = 0; i < 30; i++) {
      clock.advance(MINUTE);
      await h.pipeline.runOnce();
    }
    expect(readBack).not.toHaveBeenCalled();
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['opened', 'updated', 'closed']));
    expect(events[0].kind).toBe('opened');
    expect(events.at(-1)!.kind).toBe('closed');
    for (const { event, stored, score } of events) {
      expect(await stored).toEqual({ ...event.anomaly, feedback: [] });
      expect(event.anomaly.target).toBe('latency{deployment="cart-2",namespace="shop"}');
      expect(event.object).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'cart-2' });
      expect(event.score).toBe(score);
    }
    // A later change of the open anomaly does not reach into an event already handed over.
    const opened = events[0].event.anomaly;
    expect(opened.state).toBe('open');
    expect(opened.end).toBe(opened.start);
  });

  it("healing's reads go to the target's score, and verification's feedback names no user", async () => {
    const clock = new TestClock(SPIKE);
    h = buildPipeline(config, clock, { extra: { querierFor: () => querier } });
    const opened: AnomalyEvent[] = [];
    h.pipeline.addListener({ opened: (e) => opened.push(e), updated: () => {}, closed: () => {} });
    await h.pipeline.runOnce();
    expect(opened).toHaveLength(1);
    const { anomaly, object, predictedFailureAt } = opened[0];
    const trigger = triggerFromAnomaly(anomaly, object, predictedFailureAt);
    const hooks = pipelineHooks(h.pipeline);
    const score = await hooks.readSignal(trigger);
    expect(score).toBe(h.pipeline.predict(anomaly.target)!.score);
    expect(score).toBeGreaterThan(0.5);
    expect(await hooks.readSignal({ ...trigger, watch: 'another' })).toBeUndefined();

    await hooks.onVerified(trigger.id, false, 11);
    await hooks.onVerified(trigger.id, true, 12);
    expect((await h.pipeline.anomalies({ limit: 10 })).find((a) => a.id === anomaly.id)!.feedback).toEqual([
      { kind: 'confirmed', source: 'verification', user: null, comment: 'action 12 healed it', at: SPIKE },
    ]);
  });
});
