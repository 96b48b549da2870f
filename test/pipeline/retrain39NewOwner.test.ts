import { ownerOf } from '../../src/server/coordination/partition';
import { HOUR, MINUTE } from './helpers';
import { agreeingReplicas, held, queue, requestOf, sharedStores } from './retrainReplicas';
import { jobWatch } from '../harness/spikingFleet';

// A replica expires the requests whose targets it would hold and does not, right after its cycles.
// When the members change between its cycle and its pick-up (a live set settles when asked), it would
// hold a dead replica's targets it has not cycled yet: it used to expire their requests then, though
// its next cycle takes the targets. It now waits a step of the watch (a cycle) first: the request of
// a live target is run, that of a gone one expires. SQLite (one file) and a real PostgreSQL.
const stores = sharedStores('retrain39-owner');

/** A target of watch w nobody has (it went) that the partition of both replicas gives pod-a. */
const goneOfA = (): string => {
  for (let k = 0; ; k++) {
    const id = `w{job="gone-${k}"}`;
    if (ownerOf(id, ['pod-a', 'pod-b']) === 'pod-a') {
      return id;
    }
  }
};

describe.each(stores)("a dead replica's retrain requests, on %s", (_name, open) => {
  it("wait for their new owner's cycle: the live target's runs, the gone one's expires", async () => {
    const { a, b, clocks, advance, seenByB, close } = await agreeingReplicas(await open(), [jobWatch]);
    try {
      const live = held(a)[0];
      expect(held(b)).not.toContain(live);
      // pod-a dies with two requests of its share waiting: its clock stops.
      const requests = {
        live: await queue(a, live, clocks.a.now()),
        gone: await queue(a, goneOfA(), clocks.a.now()),
      };
      const states = async () => ({
        live: (await requestOf(b, requests.live))?.state,
        gone: (await requestOf(b, requests.gone))?.state,
      });

      // Past their wait, pod-b cycles while it still counts pod-a live; then pod-a leaves its live set,
      // and pod-b's pick-up comes: it would hold both targets now, and holds neither yet.
      await advance(HOUR + MINUTE, [clocks.b]);
      await b.pipeline.runOnce();
      seenByB.splice(seenByB.indexOf('pod-a'), 1);
      await b.pipeline.sharedRetraining!.pickUp();
      expect(await states()).toEqual({ live: 'queued', gone: 'queued' });
      // Nor at another pick-up before a step has passed.
      await b.pipeline.sharedRetraining!.pickUp();
      expect(await states()).toEqual({ live: 'queued', gone: 'queued' });

      // A step on, pod-b's cycle takes the live target: its request runs there, the gone one's expires.
      await advance(MINUTE, [clocks.b]);
      await b.pipeline.runOnce();
      expect(held(b)).toContain(live);
      expect(await requestOf(b, requests.live)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1, failed: [] })
      );
      expect(await requestOf(b, requests.gone)).toEqual(
        expect.objectContaining({ state: 'expired', claimedBy: null, answeredAt: clocks.b.now() })
      );
    } finally {
      await close();
    }
  });
});
