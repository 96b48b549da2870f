import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random } from '../../src/detection';
import {
  anomaliesResponseSchema,
  modelsResponseSchema,
  predictResponseSchema,
  watchesResponseSchema,
  type Anomaly,
} from '../../src/contract/pipeline';
import { targetDetailSchema } from '../../src/contract/targetDetail';
import type { App } from '../../src/server/http/server';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, TestClock, type Harness } from './helpers';

const STEP = 300_000;
const T0 = Date.UTC(2025, 3, 7);
const N = 1500;
/** The backend starts at this step; history before it is replayed, after it runs live. */
const START = 1450;
/** Step → height: a day apart and growing, since the detector mutes itself after an alarm and reports a spike no higher than a recent one once. */
const SPIKES: Record<number, number> = { 250: 20, 550: 30, 850: 45, 1100: 65, 1460: 100 };

function data() {
  const rng = new Random(9);
  const timestamps = Array.from({ length: N }, (_, i) => T0 + i * STEP);
  const values = timestamps.map((_, i) => 20 + 2 * (rng.next() + rng.next() - 1) + (SPIKES[i] ?? 0));
  return { timestamps, values };
}

/** A stand-in for Grafana's annotation API that records what it was sent. */
async function fakeGrafana(): Promise<{
  url: string;
  calls: Array<{ method: string; path: string; body: Record<string, unknown>; auth?: string }>;
  close(): Promise<void>;
}> {
  const calls: Array<{ method: string; path: string; body: Record<string, unknown>; auth?: string }> = [];
  let next = 1;
  const read = async (req: IncomingMessage) => {
    let text = '';
    for await (const c of req) {
      text += c;
    }
    return JSON.parse(text || '{}');
  };
  const server: Server = createServer(async (req, res) => {
    calls.push({ method: req.method!, path: req.url!, body: await read(req), auth: req.headers.authorization });
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(
        JSON.stringify(
          req.method === 'POST' ? { id: next++, message: 'Annotation added' } : { message: 'Annotation patched' }
        )
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('pipeline API, feedback, retraining, listeners and annotations (real Prometheus)', () => {
  let prom: RunningPrometheus;
  let grafana: Awaited<ReturnType<typeof fakeGrafana>>;
  let h: Harness;
  let app: App;
  const clock = new TestClock(T0 + START * STEP);
  const events: string[] = [];

  beforeAll(async () => {
    prom = await startPrometheus([{ name: 'queue_depth', labels: { job: 'worker', instance: 'w1' }, ...data() }]);
    grafana = await fakeGrafana();
    h = buildPipeline(
      {
        prometheus: { url: prom.url },
        grafana: { url: grafana.url, token: 'grafana-sa-token' },
        watches: [
          { name: 'queue', queries: { depth: 'queue_depth' }, target: ['job'], step: '5m', history: '5d', lag: 0 },
        ],
      },
      clock
    );
    h.pipeline.addListener({
      opened: ({ anomaly: a }) => events.push(`opened ${a.id}`),
      updated: ({ anomaly: a }) => events.push(`updated ${a.id}`),
      closed: ({ anomaly: a }) => events.push(`closed ${a.id}`),
    });
    await h.pipeline.runOnce();
    app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await h?.close(true);
    await grafana?.close();
    await prom?.stop();
  });

  it('answers GET /api/anomalies?from=&to= in epoch ms with the documented fields', async () => {
    expect((await app.inject({ url: '/api/anomalies' })).statusCode).toBe(401);
    const from = T0 + 550 * STEP;
    const to = T0 + 950 * STEP;
    const res = await app.inject({ url: `/api/anomalies?from=${from}&to=${to}`, headers: AUTH });
    expect(res.statusCode).toBe(200);
    const body = anomaliesResponseSchema.parse(res.json());
    expect(body.anomalies.length).toBeGreaterThan(0);
    for (const a of body.anomalies) {
      expect(Object.keys(a)).toEqual(
        expect.arrayContaining(['id', 'target', 'start', 'end', 'peakScore', 'severity', 'failureModel', 'state'])
      );
      expect(a.end).toBeGreaterThanOrEqual(from);
      expect(a.start).toBeLessThanOrEqual(to);
      expect(a.target).toBe('queue{job="worker"}');
    }
    const bad = await app.inject({ url: '/api/anomalies?from=yesterday', headers: AUTH });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('querystring.from');
  });

  it('serves /predict, targets with their band, watches and models', async () => {
    const predict = predictResponseSchema.parse(
      (await app.inject({ url: `/predict?target=${encodeURIComponent('queue{job="worker"}')}`, headers: AUTH })).json()
    );
    expect(predict.at).toBe(T0 + START * STEP);
    expect((await app.inject({ url: '/predict?target=nope', headers: AUTH })).statusCode).toBe(404);
    const detail = targetDetailSchema.parse(
      (await app.inject({ url: `/api/targets/${encodeURIComponent('queue{job="worker"}')}`, headers: AUTH })).json()
    );
    expect(detail.series.depth.length).toBe(120);
    expect(detail.series.depth.at(-1)!.t).toBe(T0 + START * STEP);
    // A long id (label values of a real target) reaches the route: not find-my-way's 414 past 100 characters.
    const longId = `queue{instance="ip-10-0-12-34.eu-west-1.compute.internal:9100",job="worker",pod="checkout-7d9f8b6c5d-x2x4q"}`;
    const long = await app.inject({ url: `/api/targets/${encodeURIComponent(longId)}`, headers: AUTH });
    expect(long.statusCode).toBe(404);
    expect(long.json().message).toBe(`no target "${longId}"`);
    const watches = watchesResponseSchema.parse((await app.inject({ url: '/api/watches', headers: AUTH })).json());
    expect(watches.watches[0]).toMatchObject({ name: 'queue', degraded: false, targets: 1 });
    const models = modelsResponseSchema.parse((await app.inject({ url: '/api/models', headers: AUTH })).json());
    expect(models.models).toEqual([
      expect.objectContaining({ version: 1, status: 'active', reason: 'initial', samples: 5 * 288 + 1 }),
    ]);
    const metrics = await h.metrics.metrics();
    expect(metrics).toContain('failureprophet_anomaly_score{watch="queue",target="queue{job=\\"worker\\"}"}');
    expect(metrics).toContain('failureprophet_anomalies_open{watch="queue",target="queue{job=\\"worker\\"}"}');
    expect(metrics).toContain('failureprophet_series_watched{watch="queue"} 1');
  });

  it('announces live anomalies to listeners and Grafana, not the replayed past', async () => {
    // The replay found the past spikes but told nobody.
    expect(events).toEqual([]);
    // Live, step by step, through the spike at step 1460 and until its anomaly closes.
    for (let i = START + 1; i <= START + 40; i++) {
      clock.ms = T0 + i * STEP;
      await h.pipeline.runOnce();
    }
    await h.pipeline.annotator!.flush();
    const live = (await h.pipeline.anomalies({ from: T0 + (START + 1) * STEP }))[0];
    expect(live.start).toBe(T0 + 1460 * STEP);
    expect(events[0]).toBe(`opened ${live.id}`);
    expect(events.at(-1)).toBe(`closed ${live.id}`);
    expect(grafana.calls[0]).toMatchObject({ method: 'POST', path: '/api/annotations', body: { time: live.start } });
    expect(grafana.calls.at(-1)).toMatchObject({
      method: 'PATCH',
      path: '/api/annotations/1',
      body: { timeEnd: live.end },
    });
    for (const call of grafana.calls) {
      expect(call.auth).toBe('Bearer grafana-sa-token');
      expect(call.body.tags).toEqual(expect.arrayContaining(['failureprophet', 'anomaly', 'watch:queue']));
    }
  });

  it('records feedback with the Grafana user, and the next training uses it', async () => {
    const anomalies: Anomaly[] = await h.pipeline.anomalies({ limit: 100 });
    expect(anomalies.length).toBeGreaterThanOrEqual(3);
    const [a, b, c] = anomalies;
    for (const x of [a, b]) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/anomalies/${x.id}/feedback`,
        headers: { ...AUTH, 'x-grafana-user': 'alice' },
        payload: { kind: 'false_positive' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().anomaly.feedback[0]).toMatchObject({
        kind: 'false_positive',
        source: 'operator',
        user: 'alice',
      });
    }
    // The healing engine reports a remediated anomaly as a confirmed incident.
    await h.pipeline.recordFeedback(c.id, 'confirmed', 'verification', 'action-42');
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/anomalies/999999/feedback',
          headers: AUTH,
          payload: { kind: 'confirmed' },
        })
      ).statusCode
    ).toBe(404);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/api/anomalies/${a.id}/feedback`,
          headers: AUTH,
          payload: { kind: 'maybe' },
        })
      ).json().field
    ).toBe('body.kind');

    const before = (await h.pipeline.models({ status: 'active' }))[0];
    const res = await app.inject({
      method: 'POST',
      url: '/api/models/retrain',
      headers: AUTH,
      payload: { watch: 'queue' },
    });
    expect(res.json()).toEqual({ trained: 1, failed: [] });
    const [after, previous] = await h.pipeline.models({});
    expect(previous).toMatchObject({ version: 1, status: 'superseded' });
    expect(after).toMatchObject({
      version: 2,
      status: 'active',
      reason: 'on_demand',
      feedback: { falsePositive: 2, confirmed: 1 },
    });
    // The two false positives were spikes above the band: the highest is benign from now on, and the
    // threshold stays (raising it would hide other faults); the confirmed incident's window is left out of training.
    expect(after.threshold).toBe(before.threshold);
    expect(after.params.benignExcursions).toEqual([
      expect.objectContaining({ signal: 'depth', side: 'above', extreme: Math.max(a.peak!.value, b.peak!.value) }),
    ]);
    expect(after.params.excludedWindows).toHaveLength(1);
    expect(after.samples).toBeLessThan((after.rangeEnd - after.rangeStart) / STEP + 1);
    expect(h.pipeline.targets()[0].threshold).toBe(after.threshold);
    expect(
      (await app.inject({ method: 'POST', url: '/api/models/retrain', headers: AUTH, payload: { watch: 'nope' } }))
        .statusCode
    ).toBe(404);
  });
});
