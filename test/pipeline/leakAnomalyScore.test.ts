import type { AnomalyTrigger } from '../../src/contract/healing';
import type { Anomaly } from '../../src/contract/pipeline';
import { pipelineHooks, triggerFromAnomaly } from '../../src/server/healing/fromPipeline';
import type { AnomalyEvent } from '../../src/server/pipeline/listener';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { demoLeak } from './demoLeak';
import { buildPipeline, composeWatch, type Harness, MINUTE, TestClock } from './helpers';

const T0 = Date.UTC(2025, 2, 3, 9);

/**
 * The compose demo's leak on shop-0 counting down to its limit (compose/watches.yaml's demo-memory):
 * its memory stays within what the detector expects, so only the forecast raises the anomaly, and the
 * anomaly's score (the list's, the panel's and the healing trigger's) is the forecast's.
 */
describe("the score of the anomaly the compose demo's leak forecast raises (real Prometheus)", () => {
  const leak = demoLeak(T0, 0);
  const crossing = T0 + leak.restartMs;
  let prom: RunningPrometheus;
  let h: Harness;
  const clock = new TestClock(T0 + 2 * MINUTE);
  /** The open anomaly of shop-0 after each cycle of the countdown. */
  const seen: Anomaly[] = [];
  /** What healing was handed for it, as the pipeline's listener hands it over. */
  const triggers: AnomalyTrigger[] = [];
  /** What healing's re-check before an action and its verification read for shop-0 after each cycle. */
  const rechecked: number[] = [];

  beforeAll(async () => {
    prom = await startPrometheus(leak.series);
    const watch = composeWatch('demo-memory');
    h = buildPipeline({ prometheus: { url: prom.url }, watches: [watch] }, clock);
    const hand = ({ anomaly, object }: AnomalyEvent) => triggers.push(triggerFromAnomaly(anomaly, object));
    h.pipeline.addListener({ opened: hand, updated: hand, closed: () => undefined });
    // Every five minutes, each minute in the last ten before the crossing.
    for (; clock.ms < crossing; clock.advance(crossing - clock.ms <= 10 * MINUTE ? MINUTE : 5 * MINUTE)) {
      await h.pipeline.runOnce();
      const [open] = await h.pipeline.anomalies({ watch: 'demo-memory', state: 'open', limit: 1 });
      if (open) {
        seen.push(open);
        rechecked.push((await pipelineHooks(h.pipeline).readSignal(triggers.at(-1)!))!);
      }
    }
  });

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('is raised by the forecast alone, and scores as a high anomaly from the first, a critical one once critical', () => {
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(seen.map((a) => a.signals)).toEqual(seen.map(() => ['memory (limit forecast)']));
    expect(seen.map((a) => a.peakScore >= (a.severity === 'critical' ? 0.9 : 0.8))).toEqual(seen.map(() => true));
    expect(seen.at(-1)).toMatchObject({ severity: 'critical', peak: { signal: 'memory' } });
  });

  it('rises as the crossing nears', () => {
    const scores = seen.map((a) => a.peakScore);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(scores.at(-1)!).toBeGreaterThan(scores[0]);
  });

  it("hands healing the anomaly's score, not 0", () => {
    expect(triggers.length).toBeGreaterThan(0);
    expect(triggers.map((t) => t.score! >= 0.8)).toEqual(triggers.map(() => true));
    expect(triggers.at(-1)!.score).toBe(seen.at(-1)!.peakScore);
  });

  it("is what healing re-reads before it acts, so the leak is not taken for recovered (the default's 0.5)", () => {
    expect(rechecked).toEqual(seen.map((a) => expect.any(Number)));
    // The target's score now: the forecast's at its last step, the anomaly's peak as it rises (to rounding).
    expect(rechecked.map((score, i) => score >= 0.8 && Math.abs(score - seen[i].peakScore) < 0.01)).toEqual(
      seen.map(() => true)
    );
  });
});
