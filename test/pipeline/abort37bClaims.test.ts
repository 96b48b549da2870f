import { jobWatch } from '../harness/spikingFleet';
import { HOUR, MINUTE } from './helpers';
import { held, onDemand, queue, requestOf, sharedStores, twoReplicas } from './retrainReplicas';

// A replica stopping while it ran retrain requests from other replicas used to wait for the run, up to
// its deadline. Now the stop cuts the run short: the requests are neither answered nor failed, their
// claims are no longer renewed, and the replica holding their targets runs them once the claims lapse.
// SQLite and PostgreSQL.
const stores = sharedStores('abort37b-claims');

describe.each(stores)('a replica stopped while it runs a retrain request, on %s', (_name, open) => {
  it('stops at once, leaving the request claimed, unanswered, to lapse for another replica', async () => {
    const { a, b, clocks, claims, advance, holdRun, close } = await twoReplicas(await open(), [jobWatch]);
    try {
      const target = held(b)[0];
      const id = await queue(a, target, clocks.a.now());
      const { run } = await holdRun();
      const claimed = await requestOf(a, id);
      expect(claimed).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));

      // No clock moves: the stop waits for neither the deadline nor the held read.
      await a.pipeline.stop();
      await run;
      expect(clocks.a.pending).toBe(0);
      await Promise.allSettled(claims.sent);
      const renewals = claims.sent.length;
      expect(await requestOf(a, id)).toEqual(claimed);
      expect(await onDemand(a, target)).toEqual([]);

      // pod-a's clock runs on as if it lived: it renews nothing. Past the lapse pod-b takes the request.
      await advance(HOUR + MINUTE, [clocks.a, clocks.b]);
      expect(claims.sent.length).toBe(renewals);
      await b.pipeline.runOnce();
      expect(await requestOf(b, id)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1, failed: [] })
      );
    } finally {
      await close();
    }
  });
});
