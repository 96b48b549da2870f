import type { RangeQuerier } from '../../src/server/pipeline/watchRunner';
import { aTurn, HOUR } from './helpers';
import {
  HeldStoreCalls,
  held,
  hungStoreReplicas,
  onDemand,
  queue,
  requestOf,
  retrainingRead,
  sharedStores,
} from './retrainReplicas';
import { retrainQuerier } from './sharedWatch';

// A retrain request's run waits for its watch's cycle in flight. When that cycle never ends (a store
// call that never answers) the replica used to renew the request's claim every quarter hour for as
// long as it lived, so another replica holding the target never got it. Now a run that has not
// started within an hour of being handed to its watch stops being renewed: its claim lapses, the
// other replica runs it, and the stuck replica, once its cycle ends, does not run it too.
// SQLite (one file) and a real PostgreSQL.
const stores = sharedStores('retrain39-hung');

describe.each(stores)('a retrain request behind a cycle that never ends, on %s', (_name, open) => {
  it('lapses an hour after its run was handed over, runs on the other replica, and not again here', async () => {
    const shared = await open();
    const writes = new HeldStoreCalls((name) => name === 'commitCycle');
    const retrainingReadsOfA: string[] = [];
    const querierOfA: RangeQuerier = {
      queryRange: (q) => {
        if (retrainingRead(q.query)) {
          retrainingReadsOfA.push(q.query);
        }
        return retrainQuerier.queryRange(q);
      },
    };
    const { a, b, clocks, claims, advance } = await hungStoreReplicas(shared, writes, querierOfA);
    let stuck: Promise<void> | undefined;
    let pickUp: Promise<void> | undefined;
    try {
      const target = held(b)[0];
      expect(held(a)).toContain(target);
      const request = await queue(a, target, clocks.a.now());

      // pod-a's cycle hangs on its write; its pick-up (begun as the cycle did) claims the request and
      // hands its run to the watch, behind that cycle.
      writes.hold();
      stuck = a.pipeline.runOnce();
      await writes.reached;
      pickUp = a.pipeline.sharedRetraining!.pickUp();
      while (claims.sent.length < 2) {
        await aTurn();
      }
      await Promise.allSettled(claims.sent);
      await aTurn();
      const handedAt = clocks.a.now();
      expect(await requestOf(a, request)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));

      // Renewed for the hour the run may wait to start, then no more.
      await advance(HOUR);
      const renewals = claims.sent.length;
      // The pick-up's claim, the run's before it is handed over, and the beats at 15, 30 and 45 minutes.
      expect(renewals).toBe(2 + 3);
      await advance(HOUR);
      expect(claims.sent.length).toBe(renewals);

      // Its claim lapsed an hour after the last renewal: pod-b, holding the target, runs it.
      await b.pipeline.runOnce();
      const answeredAt = handedAt + 2 * HOUR;
      expect(await requestOf(b, request)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1, failed: [], answeredAt })
      );

      // pod-a's cycle ends at last: its run starts, finds the request taken, and neither reads nor stores anything.
      writes.release();
      await stuck;
      await pickUp;
      expect(retrainingReadsOfA).toEqual([]);
      expect(await onDemand(a, target)).toEqual([expect.objectContaining({ status: 'active', trainedAt: answeredAt })]);
      expect(await requestOf(a, request)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1, answeredAt })
      );
    } finally {
      writes.release();
      await stuck;
      await pickUp;
      await b.close();
      await a.close(true);
    }
  });
});
