import { Random } from '../../src/detection';
import { anomaliesResponseSchema, type Anomaly } from '../../src/contract/pipeline';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { App } from '../../src/server/http/server';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, TestClock, type Harness } from './helpers';

// Which feedback a retraining uses, and what it does when some cannot be read (audit loop34: D6,
// D8, D11), on a watch of two targets with two signals each, through the HTTP routes.
const STEP = 300_000;
const DAY = 288;
const T0 = Date.UTC(2025, 3, 7);
const N = 3 * DAY;
/** Step → height of a spike of `x`, growing (a detector reports a spike no higher than a recent one once). */
const SPIKES: Record<number, number> = { 150: 20, 230: 30, 650: 45, 780: 65 };

function series(job: string, name: 'x' | 'y', seed: number) {
  const rng = new Random(seed);
  const timestamps = Array.from({ length: N }, (_, i) => T0 + i * STEP);
  const values = timestamps.map(
    (_, i) => 20 + 2 * (rng.next() + rng.next() - 1) + (name === 'x' ? (SPIKES[i] ?? 0) : 0)
  );
  return { name, labels: { job }, timestamps, values };
}

describe('retraining with feedback (real Prometheus)', () => {
  let prom: RunningPrometheus;
  let h: Harness;
  let app: App;
  const clock = new TestClock(T0 + (DAY - 1) * STEP);
  const end = T0 + (N - 1) * STEP;
  /** The first step of the history a retraining at `end` replays (the watch's `history`, a day). */
  const historyStart = end - DAY * STEP;
  let anomalies: Record<'a' | 'b', Anomaly[]>;

  beforeAll(async () => {
    prom = await startPrometheus([series('a', 'x', 1), series('a', 'y', 2), series('b', 'x', 3), series('b', 'y', 4)]);
    h = buildPipeline(
      {
        prometheus: { url: prom.url },
        watches: [{ name: 'w', queries: { x: 'x', y: 'y' }, target: ['job'], step: '5m', history: '1d', lag: 0 }],
      },
      clock
    );
    app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
    // The first day replayed on first sight, the next two live.
    await h.pipeline.runOnce();
    clock.ms = end;
    await h.pipeline.runOnce();
    const of = async (job: string) => h.pipeline.anomalies({ target: `w{job="${job}"}`, limit: 100 });
    anomalies = { a: await of('a'), b: await of('b') };
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await h?.close(true);
    await prom?.stop();
  });

  const feedback = (a: Anomaly, kind: string) =>
    app.inject({ method: 'POST', url: `/api/anomalies/${a.id}/feedback`, headers: AUTH, payload: { kind } });

  it('found spikes both before the history a retraining replays and inside it', () => {
    for (const job of ['a', 'b'] as const) {
      expect(anomalies[job].some((a) => a.end < historyStart)).toBe(true);
      expect(anomalies[job].some((a) => a.start >= historyStart)).toBe(true);
    }
  });

  it('counts only the false positives inside the history, and samples as steps', async () => {
    for (const a of anomalies.b) {
      expect((await feedback(a, 'false_positive')).statusCode).toBe(200);
    }
    const res = await app.inject({
      method: 'POST',
      url: '/api/models/retrain',
      headers: AUTH,
      payload: { target: 'w{job="b"}' },
    });
    expect(res.json()).toEqual({ trained: 1, failed: [] });
    const [v2, v1] = await h.pipeline.models({ target: 'w{job="b"}' });
    expect(v2).toMatchObject({ version: 2, status: 'active' });
    const inside = anomalies.b.filter((a) => a.end >= historyStart);
    expect(inside.length).toBeLessThan(anomalies.b.length);
    expect(v2.feedback).toEqual({ falsePositive: inside.length, confirmed: 0 });
    const ids = (v2.params.benignExcursions as Array<{ anomalyId: number }>).map((e) => e.anomalyId);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => inside.some((a) => a.id === id))).toBe(true);
    // Every step has a value of both signals: one sample a step, as in the first version.
    for (const v of [v1, v2]) {
      expect(v.samples).toBe((v.rangeEnd - v.rangeStart) / STEP + 1);
    }
  });

  it('lists an anomaly whose feedback row cannot be read, without that row, and says so once', async () => {
    const [a] = anomalies.a;
    expect((await feedback(a, 'false_positive')).statusCode).toBe(200);
    expect((await feedback(a, 'confirmed')).statusCode).toBe(200);
    h.store.db
      .prepare(`UPDATE anomaly_feedback SET kind = 'maybe' WHERE anomaly_id = ? AND kind = 'confirmed'`)
      .run(a.id);
    const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({ url: '/api/anomalies?target=w%7Bjob%3D%22a%22%7D', headers: AUTH });
        expect(res.statusCode).toBe(200);
        const listed = anomaliesResponseSchema.parse(res.json()).anomalies.find((x) => x.id === a.id);
        expect(listed?.feedback.map((f) => f.kind)).toEqual(['false_positive']);
      }
      const one = await app.inject({ url: `/api/anomalies/${a.id}`, headers: AUTH });
      expect(one.statusCode).toBe(200);
      expect(one.json().anomaly.feedback).toHaveLength(1);
      expect(warned.mock.calls.map(([m]) => m)).toEqual([
        expect.stringMatching(/^anomaly_feedback row \d+ is invalid at kind: .*left out of its anomaly's feedback$/),
      ]);
    } finally {
      warned.mockRestore();
    }
  });

  it('retrains the other targets when one target’s feedback cannot be read, naming the row', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/models/retrain', headers: AUTH, payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      trained: 1,
      failed: [
        {
          target: 'w{job="a"}',
          error: expect.stringMatching(/^feedback unreadable: anomaly_feedback row \d+ is invalid at kind/),
        },
      ],
    });
    expect((await h.pipeline.models({ target: 'w{job="b"}', status: 'active' }))[0].version).toBe(3);
  });
});
