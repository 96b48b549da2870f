import { Registry } from 'prom-client';
import {
  anomaliesResponseSchema,
  DEFAULT_PAGE_LIMIT,
  modelsResponseSchema,
  predictionsResponseSchema,
} from '../../src/contract/pipeline';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { App } from '../../src/server/http/server';
import { AUTH, injectingApp } from '../harness/server';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';

const T0 = Date.UTC(2025, 4, 1);
const ROWS = 230;

// A caller that does not say how many rows gets a page of DEFAULT_PAGE_LIMIT (as Grafana's
// annotations API defaults to 100) and the cursor of the next; it may still ask for up to 1,000.
describe('list routes page by default', () => {
  let h: Harness;
  let app: App;
  beforeAll(async () => {
    h = buildPipeline({ watches: [] }, new TestClock(T0));
    h.pipeline.repo.commitCycle({
      watch: 'w',
      lastProcessed: T0,
      targets: [],
      anomalies: Array.from({ length: ROWS }, (_, i) => ({
        targetId: `w{job="j${i}"}`,
        watch: 'w',
        labels: { job: `j${i}` },
        start: T0 + i * MINUTE,
        end: T0 + i * MINUTE + 3 * MINUTE,
        peakScore: 0.5,
        severity: 'low' as const,
        failureModel: 'byzantine' as const,
        state: 'closed' as const,
        signals: ['x'],
        direction: 'above' as const,
        reasons: [],
      })),
      predictions: Array.from({ length: ROWS }, (_, i) => ({
        targetId: `w{job="j${i}"}`,
        watch: 'w',
        signal: 'memory',
        madeAt: T0 + i * MINUTE,
        limit: 1,
        direction: 'above' as const,
        seconds: 3600,
        lowerSeconds: 1800,
        upperSeconds: 7200,
      })),
      forgotten: [],
    });
    for (let i = 0; i < ROWS; i++) {
      h.pipeline.repo.addModel({
        watch: 'w',
        targetId: `w{job="j${i}"}`,
        status: 'active',
        reason: 'initial',
        trainedAt: T0 + i * MINUTE,
        rangeStart: T0,
        rangeEnd: T0 + i * MINUTE,
        samples: 100,
        params: {},
        threshold: 0.27,
        feedback: { falsePositive: 0, confirmed: 0 },
      });
    }
    app = await injectingApp({ store: h.store, metrics: new Registry() }, [pipelineRoutes(h.pipeline)]);
  });
  afterAll(async () => {
    await app.close();
    await h.close(true);
  });

  const get = async (url: string) => (await app.inject({ url, headers: AUTH })).json();

  it('serves 100 anomalies, newest first, and the cursor of the rest', async () => {
    expect(DEFAULT_PAGE_LIMIT).toBe(100);
    const first = anomaliesResponseSchema.parse(await get('/api/anomalies'));
    expect(first.anomalies).toHaveLength(DEFAULT_PAGE_LIMIT);
    expect(first.anomalies[0].start).toBe(T0 + (ROWS - 1) * MINUTE);
    expect(first.next).not.toBeNull();
    const all = anomaliesResponseSchema.parse(await get('/api/anomalies?limit=1000'));
    expect(all.anomalies).toHaveLength(ROWS);
  });

  it('serves 100 predictions and 100 models unless asked for more', async () => {
    expect(predictionsResponseSchema.parse(await get('/api/predictions')).predictions).toHaveLength(DEFAULT_PAGE_LIMIT);
    expect(modelsResponseSchema.parse(await get('/api/models')).models).toHaveLength(DEFAULT_PAGE_LIMIT);
    expect(modelsResponseSchema.parse(await get('/api/models?status=active&limit=1000')).models).toHaveLength(ROWS);
  });
});
