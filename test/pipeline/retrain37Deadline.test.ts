import type { RetrainResponse } from '../../src/contract/pipeline';
import { jobWatch } from '../harness/spikingFleet';
import { aTurn, buildPipeline, HOUR, MINUTE, TestClock } from './helpers';
import {
  held,
  HeldReads,
  onDemand,
  queue,
  requestOf,
  retrainingRead,
  sharedStores,
  twoReplicas,
} from './retrainReplicas';
import { SHARED_NOW } from './sharedWatch';

// A replica whose retraining of requests hangs (a query Prometheus never answers) used to keep the
// requests' claims, renewed every quarter hour, for as long as it lived: no other replica could run
// them, and the watch's cycles waited behind the run. Past its deadline (an hour for this watch:
// retrainDeadline.ts) the run is abandoned: its claims are no longer renewed, another replica holding
// a target takes its request once the claim lapses, this replica leaves the requests until then, the
// watch cycles on, and the hung read's late answer stores nothing. SQLite and PostgreSQL.
const stores = sharedStores('retrain37-deadline');

describe.each(stores)('a retraining whose read never answers, on %s', (_name, open) => {
  it("is abandoned at its deadline and its requests run elsewhere, or here after their claims' lapse", async () => {
    const { a, b, clocks, claims, slow, advance, holdRun, close } = await twoReplicas(await open(), [jobWatch]);
    const claimedAt = SHARED_NOW + 3 * MINUTE;
    try {
      // One run of two requests: one for a target pod-b holds too, one for a target pod-a alone holds.
      const both = held(b)[0];
      const alone = held(a).find((id) => !held(b).includes(id))!;
      const elsewhere = await queue(a, both, clocks.a.now());
      const here = await queue(a, alone, clocks.a.now());
      const { run } = await holdRun();

      // An hour on, the deadline passes; half an hour more, and pod-a has renewed no claim since.
      await advance(HOUR + MINUTE, [clocks.a, clocks.b]);
      await aTurn();
      const renewals = claims.sent.length;
      await advance(30 * MINUTE, [clocks.a, clocks.b]);
      expect(claims.sent.length).toBe(renewals);
      await run;
      for (const id of [elsewhere, here]) {
        expect(await requestOf(a, id)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
      }
      expect([...(await onDemand(a, both)), ...(await onDemand(a, alone))]).toEqual([]);

      // pod-a's watch cycles on, and its pick-up leaves the requests it abandoned while their claims hold.
      await a.pipeline.runOnce();
      expect(a.pipeline.watches()[0].lastProcessedAt).toBe(Math.floor(clocks.a.now() / MINUTE) * MINUTE);
      expect(claims.sent.length).toBe(renewals);

      // Past the lapse (an hour after the last renewal, at the deadline) pod-b takes the one it holds.
      await advance(30 * MINUTE, [clocks.a, clocks.b]);
      await b.pipeline.runOnce();
      expect(await requestOf(b, elsewhere)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1, failed: [] })
      );

      // The hung read answers at last: nothing of it is stored. pod-a runs what it alone holds again.
      slow.release();
      await a.pipeline.runOnce();
      const retaken = claimedAt + 2 * HOUR + MINUTE;
      expect(await onDemand(a, both)).toEqual([expect.objectContaining({ status: 'active', trainedAt: retaken })]);
      expect(await onDemand(a, alone)).toEqual([expect.objectContaining({ status: 'active', trainedAt: retaken })]);
      expect(await requestOf(a, here)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-a', trained: 1, answeredAt: retaken })
      );
    } finally {
      await close();
    }
  });
});

describe('"Retrain now" whose read never answers', () => {
  it('answers, past its deadline, that it failed, storing nothing, and the watch cycles on', async () => {
    const clock = new TestClock(SHARED_NOW);
    const slow = new HeldReads(retrainingRead);
    const h = buildPipeline({ watches: [jobWatch] }, clock, { extra: { querierFor: () => slow } });
    try {
      await h.pipeline.runOnce();
      const [target] = h.pipeline.targets().map((t) => t.id);
      slow.hold();
      let answer: RetrainResponse | undefined;
      const retraining = h.pipeline.retrain({ target }, 'on_demand').then((a) => (answer = a));
      await slow.reached;
      clock.advance(HOUR - MINUTE);
      await aTurn();
      expect(answer).toBeUndefined();
      clock.advance(MINUTE);
      await aTurn();
      expect(answer).toEqual({
        trained: 0,
        failed: [
          { target: 'w (all targets)', error: expect.stringContaining('abandoned: still running after 60 min') },
        ],
      });
      await retraining;
      await h.pipeline.runOnce();
      expect(h.pipeline.watches()[0].lastProcessedAt).toBe(SHARED_NOW + HOUR);
      slow.release();
      await h.pipeline.runOnce();
      expect(await onDemand(h, target)).toEqual([]);
    } finally {
      slow.release();
      await h.close(true);
    }
  });
});
