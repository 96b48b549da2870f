import { ownerOf } from '../../src/server/coordination/partition';
import type { WatchConfig } from '../../src/server/config/schema';
import { shareKey } from '../../src/server/pipeline/ownership';
import { jobWatch } from '../harness/spikingFleet';
import { HOUR, MINUTE } from './helpers';
import { agreeingReplicas, held, queue, requestOf, sharedStores } from './retrainReplicas';

// A request nobody took within its wait (an hour here) is answered as expired: nobody holds its
// target. But a live replica stuck in a long cycle holds its targets too, and takes their requests
// only after that cycle: any other replica used to expire them meanwhile. Only the replica that
// would hold a request's target (its share, of the watch or, for a watch no replica runs, of the live
// replicas) decides now, right after its own cycles; when it leaves, its targets' next holder does.
// SQLite and PostgreSQL.
const stores = sharedStores('retrain37-expiry');
const LIVE = ['pod-a', 'pod-b'];

/** A target of `watch` nobody has (it went, or its watch is not run) that the partition gives `owner`. */
const goneTarget = (watch: string, owner: string, n = 0): string => {
  for (let k = 0; ; k++) {
    const id = `${watch}{job="gone-${k}"}`;
    if (ownerOf(id, LIVE) === owner && n-- === 0) {
      return id;
    }
  }
};

/** One of a watch with peers by job: its peer group's share is `owner`'s, its id's alone would not be. */
const goneMember = (owner: string): string => {
  const peersWatch = { name: 'w', peers: ['job'] } as WatchConfig;
  for (let k = 0; ; k++) {
    const key = shareKey(peersWatch, { job: `gone-${k}` });
    const id = `w{job="gone-${k}"}`;
    if (ownerOf(key, LIVE) === owner && ownerOf(id, LIVE) !== owner) {
      return id;
    }
  }
};

describe.each(stores)('retrain requests expiring, on %s', (_name, open) => {
  it('wait for a replica stuck in a long cycle, and expire by the replica that would hold their targets', async () => {
    const { a, b, clocks, slow, advance, seenByB, outlastLapse, close } = await agreeingReplicas(await open(), [
      jobWatch,
    ]);
    try {
      const ofA = held(a)[0];
      expect(held(b)).not.toContain(ofA);
      const at = clocks.a.now();
      const requests = {
        held: await queue(a, ofA, at),
        goneOfA: await queue(a, goneTarget('w', 'pod-a'), at),
        goneOfB: await queue(a, goneTarget('w', 'pod-b'), at),
        removedOfA: await queue(a, goneTarget('old', 'pod-a'), at),
        removedOfB: await queue(a, goneTarget('old', 'pod-b'), at),
      };
      const states = async () => {
        const all = await Promise.all(Object.values(requests).map((id) => requestOf(b, id)));
        return Object.fromEntries(Object.keys(requests).map((k, i) => [k, all[i]?.state]));
      };

      // pod-a's cycle waits on its query past the requests' wait; pod-b's cycles go on.
      const { run: stuck } = await outlastLapse({ claimsRefused: false });
      expect(await states()).toEqual({
        held: 'queued',
        goneOfA: 'queued',
        goneOfB: 'expired',
        removedOfA: 'queued',
        removedOfB: 'expired',
      });

      // pod-a's cycle ends: it runs the request of the target it holds, and expires the rest of its share's.
      slow.release();
      await stuck;
      expect(await requestOf(a, requests.held)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-a', trained: 1 })
      );
      expect(await states()).toEqual({
        held: 'done',
        goneOfA: 'expired',
        goneOfB: 'expired',
        removedOfA: 'expired',
        removedOfB: 'expired',
      });

      // pod-a leaves: pod-b, holding its share now, decides the requests pod-a would have.
      const later = await queue(b, goneTarget('w', 'pod-a', 1), clocks.b.now());
      seenByB.splice(seenByB.indexOf('pod-a'), 1);
      await advance(HOUR + MINUTE, [clocks.b]);
      await b.pipeline.runOnce();
      expect(await requestOf(b, later)).toEqual(expect.objectContaining({ state: 'expired', claimedBy: null }));
    } finally {
      await close();
    }
  });

  it("go by the target's peer group in a watch with peers", async () => {
    const { a, b, clocks, slow, outlastLapse, close } = await agreeingReplicas(await open(), [
      { ...jobWatch, peers: ['job'] },
    ]);
    try {
      const ofA = await queue(a, goneMember('pod-a'), clocks.a.now());
      const ofB = await queue(a, goneMember('pod-b'), clocks.a.now());
      const { run: stuck } = await outlastLapse({ claimsRefused: false });
      expect([(await requestOf(b, ofA))?.state, (await requestOf(b, ofB))?.state]).toEqual(['queued', 'expired']);
      slow.release();
      await stuck;
      expect((await requestOf(a, ofA))?.state).toBe('expired');
    } finally {
      await close();
    }
  });
});
