import { modelsResponseSchema } from '../../src/contract/pipeline';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { AUTH, injectingApp } from '../harness/server';
import { BACK_AT, GONE_AT, goneConfig, goneQuerier } from './goneTarget';
import { buildPipeline, HOUR, MINUTE, TestClock } from './helpers';

// A target that went (no sample for pipeline.staleAfter) is forgotten: its model no longer runs,
// and "Retrain now" has nothing to retrain. The Models page must say so rather than list it as
// active with a button that answers 404.

describe('the model of a target that went', () => {
  it('is listed as retired (not active) once the target is forgotten, and comes back active with the target', async () => {
    const clock = new TestClock(GONE_AT - MINUTE);
    const h = buildPipeline(goneConfig, clock, { extra: { querierFor: () => goneQuerier } });
    const app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
    const current = async () =>
      modelsResponseSchema
        .parse((await app.inject({ url: '/api/models?status=current', headers: AUTH })).json())
        .models.map((m) => [m.target, m.version, m.status])
        .sort();
    try {
      await h.pipeline.runOnce();
      expect(await current()).toEqual([
        ['w{job="j1"}', 1, 'active'],
        ['w{job="j2"}', 1, 'active'],
      ]);
      clock.advance(HOUR);
      await h.pipeline.runOnce();
      expect(h.pipeline.targets().map((t) => t.id)).toEqual(['w{job="j1"}']);
      expect(await current()).toEqual([
        ['w{job="j1"}', 1, 'active'],
        ['w{job="j2"}', 1, 'retired'],
      ]);
      const active = await app.inject({ url: '/api/models?status=active', headers: AUTH });
      expect(active.json().models.map((m: { target: string }) => m.target)).toEqual(['w{job="j1"}']);
      // Back under the same id: a new first version runs; the retired one is superseded.
      clock.ms = BACK_AT + 10 * MINUTE;
      await h.pipeline.runOnce();
      expect(await current()).toEqual([
        ['w{job="j1"}', 1, 'active'],
        ['w{job="j2"}', 2, 'active'],
      ]);
    } finally {
      await app.close();
      await h.close(true);
    }
  });
});
