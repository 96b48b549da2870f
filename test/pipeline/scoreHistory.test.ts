import { targetsResponseSchema } from '../../src/contract/pipeline';
import { targetDetailSchema } from '../../src/contract/targetDetail';
import type { RangeQuery } from '../../src/server/prometheus/client';
import type { App } from '../../src/server/http/server';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, TestClock, type Harness } from './helpers';

const STEP = 60_000;
const T0 = Date.UTC(2025, 3, 7);
const N = 2000;
const SPIKE = 1900;

/** One series, flat with noise and one step far off near the end: what the ring keeps. */
const querier = {
  async queryRange(q: RangeQuery) {
    const timestamps: number[] = [];
    const values: number[] = [];
    for (let t = Math.ceil(q.start / STEP) * STEP; t <= Math.min(q.end, T0 + (N - 1) * STEP); t += STEP) {
      const i = (t - T0) / STEP;
      timestamps.push(t);
      values.push(i === SPIKE ? 500 : 20 + Math.sin(i / 7));
    }
    return [
      { labels: { job: 'worker' }, timestamps: Float64Array.from(timestamps), values: Float64Array.from(values) },
    ];
  },
};

describe('GET /api/targets?history=true', () => {
  let h: Harness;
  let app: App;
  const get = (url: string) => app.inject({ method: 'GET', url, headers: AUTH });

  beforeAll(async () => {
    h = buildPipeline(
      {
        pipeline: { detailPoints: 240 },
        watches: [
          { name: 'queue', queries: { depth: 'queue_depth' }, target: ['job'], step: '1m', history: '2d', lag: 0 },
        ],
      },
      new TestClock(T0 + (N - 1) * STEP),
      { extra: { querierFor: () => querier } }
    );
    await h.pipeline.runOnce();
    app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
  });
  afterAll(async () => {
    await app?.close();
    await h?.close(true);
  });

  it('adds at most 60 points of score history, in time order, keeping the spike', async () => {
    const [listed] = targetsResponseSchema.parse((await get('/api/targets?history=true')).json()).targets;
    const scores = listed.scores!;
    expect(scores.length).toBeLessThanOrEqual(60);
    expect(scores.length).toBeGreaterThan(50);
    const times = scores.map((p) => p[0]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const detail = targetDetailSchema.parse((await get(`/api/targets/${encodeURIComponent(listed.id)}`)).json());
    const ring = detail.series.depth;
    expect(ring).toHaveLength(240);
    const peak = ring.reduce((best, p) => (p.score > best.score ? p : best));
    expect(peak.t).toBe(T0 + SPIKE * STEP);
    expect(scores).toContainEqual([peak.t, expect.closeTo(peak.score, 4)]);
    expect(Math.max(...scores.map((p) => p[1]))).toBeCloseTo(peak.score, 4);
  });

  it('leaves it out unless asked, and refuses a value it does not know', async () => {
    const [plain] = targetsResponseSchema.parse((await get('/api/targets')).json()).targets;
    expect(plain.scores).toBeUndefined();
    const bad = await get('/api/targets?history=yes');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('querystring.history');
  });
});
