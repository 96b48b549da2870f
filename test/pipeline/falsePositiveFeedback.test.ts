import type { Anomaly } from '../../src/contract/pipeline';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { App } from '../../src/server/http/server';
import { describeIfNab, readNabSeries } from '../harness/nab';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, TestClock, type Harness } from './helpers';

// What an operator's feedback does to the next occurrences of the same shapes (audit loop34, E1): a
// real series played twice, part A replayed as history, feedback on part A's anomalies through the
// HTTP route, a retraining through the HTTP route, then part B, the same values again, scored live.
// Each variant is a target of its own in one watch, so they share everything but their feedback.
const FILE = 'realAdExchange/exchange-2_cpc_results.csv';
const STEP = 3_600_000;
const T0 = Date.UTC(2025, 0, 6);
/** The episode of part A that went furthest above its band (a false positive): twice as far in part B. */
const ENLARGED = [1041, 1042, 1043, 1044, 1045];

describeIfNab(`false-positive feedback on NAB ${FILE} played twice (real Prometheus)`, () => {
  const nab = readNabSeries(FILE);
  const n = nab.values.length;
  const median = [...nab.values].sort((a, b) => a - b)[Math.floor(n / 2)];
  const endA = T0 + (n - 1) * STEP;
  const endB = T0 + (2 * n - 1) * STEP;
  let prom: RunningPrometheus;
  let h: Harness;
  let app: App;
  let config: Record<string, unknown>;
  const clock = new TestClock(endA + 30_000);
  const partB = new Map<string, Anomaly[]>();

  const feedback = async (a: Anomaly, kind: 'false_positive' | 'confirmed') => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/anomalies/${a.id}/feedback`,
      headers: { ...AUTH, 'x-grafana-user': 'ada' },
      payload: { kind },
    });
    expect(res.statusCode).toBe(200);
  };

  beforeAll(async () => {
    const timestamps = Array.from({ length: 2 * n }, (_, i) => T0 + i * STEP);
    const twice = [...nab.values, ...nab.values];
    const larger = twice.map((v, i) => (ENLARGED.includes(i - n) ? median + 2 * (v - median) : v));
    const series = (job: string, values: number[]) => ({ name: 'cpc', labels: { job }, timestamps, values });
    prom = await startPrometheus([
      series('none', twice),
      series('same', twice),
      series('larger', larger),
      series('confirmed', twice),
    ]);
    config = {
      prometheus: { url: prom.url },
      watches: [{ name: 'ads', queries: { cpc: 'cpc' }, target: ['job'], step: '60m', history: '69d', lag: '30s' }],
    };
    h = buildPipeline(config, clock);
    app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
    await h.pipeline.runOnce();
    for (const job of ['same', 'larger', 'confirmed']) {
      const partA = await h.pipeline.anomalies({ target: `ads{job="${job}"}`, limit: 1000 });
      expect(partA.length).toBeGreaterThan(5);
      for (const a of partA) {
        await feedback(a, job === 'confirmed' ? 'confirmed' : 'false_positive');
      }
      if (job === 'same') {
        // Healing verified an action on one of them: the operator's word still counts.
        await h.pipeline.recordFeedback(partA[0].id, 'confirmed', 'verification', 'action 7 recovered');
      }
    }
    const retrained = await app.inject({ method: 'POST', url: '/api/models/retrain', headers: AUTH, payload: {} });
    expect(retrained.json()).toEqual({ trained: 4, failed: [] });
    // A restart between the retraining and part B: what feedback taught is kept with the targets' state.
    await app.close();
    await h.close();
    h = buildPipeline(config, clock, { dataDir: h.dataDir });
    app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
    clock.ms = endB + 30_000;
    await h.pipeline.runOnce();
    for (const job of ['none', 'same', 'larger', 'confirmed']) {
      partB.set(job, await h.pipeline.anomalies({ target: `ads{job="${job}"}`, from: endA + STEP, limit: 1000 }));
    }
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await h?.close(true);
    await prom?.stop();
  });

  const stepsOf = (job: string) => partB.get(job)!.map((a) => (a.start - endA) / STEP - 1);

  it('without feedback, the shapes of part A open anomalies again in part B', () => {
    expect(partB.get('none')!.length).toBeGreaterThanOrEqual(3);
  });

  it('marked false positive, the same shapes open nothing, though the scores saturate', async () => {
    expect(stepsOf('same')).toEqual([]);
    // Not by a threshold raised out of reach: its band's false positives leave it where it was.
    const [model] = await h.pipeline.models({ target: 'ads{job="same"}', status: 'active' });
    expect(model.threshold).toBe(
      (await h.pipeline.models({ target: 'ads{job="none"}', status: 'active' }))[0].threshold
    );
    expect(model.feedback.falsePositive).toBeGreaterThan(5);
    expect(model.params.benignExcursions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ signal: 'cpc', side: 'above' }),
        expect.objectContaining({ signal: 'cpc', side: 'below' }),
      ])
    );
  });

  it('a larger excursion of a shape marked false positive opens', () => {
    expect(stepsOf('larger').filter((k) => ENLARGED.includes(k))).toHaveLength(1);
    expect(partB.get('larger')!.find((a) => ENLARGED.includes((a.start - endA) / STEP - 1))!.direction).toBe('above');
  });

  it('confirmed incidents still open when they recur', () => {
    expect(partB.get('confirmed')!.length).toBeGreaterThanOrEqual(partB.get('none')!.length);
  });
});
