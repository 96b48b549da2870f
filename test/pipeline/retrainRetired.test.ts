import { errorBodySchema } from '../../src/contract/health';
import { pipelineRoutes } from '../../src/server/http/routes/pipeline';
import { AUTH, injectingApp } from '../harness/server';
import { GONE_AT, goneConfig, goneQuerier } from './goneTarget';
import { buildPipeline, HOUR, MINUTE, TestClock } from './helpers';

// "Retrain now" on a target that went (its model retired, retiredModels.test.ts) cannot retrain
// anything: the answer says why (409, as the approval routes refuse what the state forbids), not
// that the target does not exist.

it('refuses "Retrain now" on a retired target with 409 and the reason; an unknown one stays 404', async () => {
  const clock = new TestClock(GONE_AT - MINUTE);
  const h = buildPipeline(goneConfig, clock, { extra: { querierFor: () => goneQuerier } });
  const app = await injectingApp(h, [pipelineRoutes(h.pipeline)]);
  const retrain = (target: string) =>
    app.inject({ method: 'POST', url: '/api/models/retrain', headers: AUTH, payload: { target } });
  try {
    await h.pipeline.runOnce();
    clock.advance(HOUR);
    await h.pipeline.runOnce();
    const retired = await retrain('w{job="j2"}');
    expect(retired.statusCode).toBe(409);
    expect(errorBodySchema.parse(retired.json())).toEqual({
      error: 'retired',
      message:
        'target "w{job="j2"}" is gone (no samples for a while): its model v1 is retired, and there is nothing to retrain until the target is back',
    });
    const unknown = await retrain('w{job="nope"}');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'no target "w{job="nope"}"' });
    expect((await retrain('w{job="j1"}')).json()).toEqual({ trained: 1, failed: [] });
  } finally {
    await app.close();
    await h.close(true);
  }
});
