import { rmSync } from 'node:fs';
import { targetDetailSchema, type TargetDetail } from '../../src/contract/targetDetail';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import type { TargetOwnership } from '../../src/server/pipeline/ownership';
import { AUTH, injectingApp } from '../harness/server';
import { sampledQuerier, spikingWatchConfig } from '../harness/spikingFleet';
import { buildPipeline, MINUTE, TestClock, type Harness } from './helpers';

// An operator follows a link from an old anomaly or alert to a target no runner scores any more (its
// watch removed or edited, its series gone, another replica owning it): the target's page shows what
// the store keeps of it and why it is not scored, instead of "not found". 404 only when nothing is kept.

const NOW = Date.UTC(2025, 3, 7, 12);
const FIRST = NOW - 180 * MINUTE;
// "ok" faults in the history the watch replays: its anomaly is stored at the first cycle.
const querier = sampledQuerier(
  ['ok', 'calm'].map((job) => ({
    labels: { job },
    value: (t: number) => {
      const i = (t - FIRST) / MINUTE;
      return 50 + (i % 5) + (job === 'ok' && i >= 150 && i < 153 ? 500 : 0);
    },
  }))
);
const watch = spikingWatchConfig.watches[0];
const OK = 'w{job="ok"}';

/** The detail of OK as a pipeline on `dataDir` with these watches (and this share) serves it after one cycle. */
async function detailAfterCycle(
  dataDir: string | undefined,
  watches: Array<Record<string, unknown>>,
  ownership?: TargetOwnership
): Promise<{ status: number; detail?: TargetDetail; h: Harness }> {
  const h = buildPipeline({ watches }, new TestClock(NOW), {
    dataDir,
    extra: { querierFor: () => querier, ...(ownership ? { ownership } : {}) },
  });
  const app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
  try {
    await h.pipeline.runOnce();
    const res = await app.inject({ url: `/api/targets/${encodeURIComponent(OK)}`, headers: AUTH });
    return {
      status: res.statusCode,
      detail: res.statusCode === 200 ? targetDetailSchema.parse(res.json()) : undefined,
      h,
    };
  } finally {
    await app.close();
    await h.close();
  }
}

describe('GET /api/targets/:id of a target no runner scores', () => {
  let dataDir: string | undefined;
  let scored: TargetDetail;

  beforeAll(async () => {
    const first = await detailAfterCycle(undefined, [watch]);
    dataDir = first.h.dataDir;
    expect(first.status).toBe(200);
    scored = first.detail!;
    expect(scored.scored).toBe(true);
    expect(scored.anomalies).toEqual([expect.objectContaining({ target: OK, start: FIRST + 150 * MINUTE })]);
    expect(scored.model).not.toBeNull();
  }, 60_000);
  afterAll(() => dataDir && rmSync(dataDir, { recursive: true, force: true }));

  it('serves what is stored of a target whose watch was removed, saying so', async () => {
    const { status, detail } = await detailAfterCycle(dataDir, [{ ...watch, name: 'v' }]);
    expect(status).toBe(200);
    expect(detail).toEqual({
      scored: false,
      target: {
        id: OK,
        watch: 'w',
        labels: { job: 'ok' },
        // Its stored state's last sample: the last step the removed watch scored.
        lastSeenAt: NOW,
        reason: 'watch_not_running',
        message: expect.stringContaining('Its watch "w" does not run'),
      },
      series: {},
      anomalies: scored.anomalies,
      predictions: scored.predictions,
      model: scored.model,
    });
  });

  it('says its series are gone when its watch runs without it (the target labels changed)', async () => {
    const { detail } = await detailAfterCycle(dataDir, [{ ...watch, target: ['job', 'instance'] }]);
    expect(detail).toMatchObject({
      scored: false,
      // The edited watch dropped the old state: the labels and last step are the latest anomaly's.
      target: { id: OK, watch: 'w', labels: { job: 'ok' }, lastSeenAt: scored.anomalies[0].end, reason: 'series_gone' },
      anomalies: scored.anomalies,
    });
  });

  it('names another replica when the target is its share and it has not listed it', async () => {
    const share: TargetOwnership = { identity: 'replica-a', owns: (key) => key !== OK, settled: () => true };
    const { detail } = await detailAfterCycle(dataDir, [watch], share);
    expect(detail).toMatchObject({ scored: false, target: { id: OK, reason: 'other_replica' } });
    expect(detail?.target).toMatchObject({ message: expect.stringContaining('Another replica') });
  });

  it('is 404 only for a target of which nothing is stored', async () => {
    const h = buildPipeline({ watches: [watch] }, new TestClock(NOW), {
      dataDir,
      extra: { querierFor: () => querier },
    });
    const app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
    try {
      const res = await app.inject({ url: `/api/targets/${encodeURIComponent('w{job="never"}')}`, headers: AUTH });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'not_found', message: 'no target "w{job="never"}"' });
    } finally {
      await app.close();
      await h.close();
    }
  });
});
