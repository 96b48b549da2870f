import type { NewModelVersion } from '../../src/server/pipeline/store/modelTable';
import { HOUR, MINUTE } from './helpers';
import { HeldStoreCalls, held, hungStoreReplicas, onDemand, queue, requestOf, sharedStores } from './retrainReplicas';
import { retrainQuerier } from './sharedWatch';

// A retrain request's run whose final store write (a new model version, or the checkpoint of the
// target's new state) never answers used to wait for it past the run's deadline: the deadline held for
// its reads, not for those writes, so the replica renewed the request's claim every quarter hour for
// as long as it lived and no other replica holding the target could run it. Now they are waited for
// only until the deadline: the run is abandoned there, its claim lapses, and the other replica runs
// the request. SQLite and PostgreSQL.
const stores = sharedStores('guards40-store');

const writes = [
  {
    what: 'the write of its new version',
    which: (name: string | symbol, args: unknown[]) =>
      name === 'addModel' && (args[0] as NewModelVersion).reason === 'on_demand',
    versionsOfA: 0,
  },
  {
    // Its version stored and swapped in, the run writes the target's new state with the watch's checkpoint.
    what: 'the checkpoint of its new state',
    which: (name: string | symbol) => name === 'commitCycle',
    versionsOfA: 1,
  },
];

describe.each(stores)('a retrain request whose run hangs on a store write, on %s', (_name, open) => {
  it.each(writes)(
    '$what: abandoned at its deadline, its claim lapses, and the other replica runs it',
    async ({ which, versionsOfA }) => {
      const shared = await open();
      const hung = new HeldStoreCalls(which);
      const { a, b, clocks, claims, advance } = await hungStoreReplicas(shared, hung, retrainQuerier);
      let pickUp: Promise<void> | undefined;
      try {
        const target = held(b)[0];
        expect(held(a)).toContain(target);
        const request = await queue(a, target, clocks.a.now());

        // pod-a takes the request and retrains the target; a write of the run hangs.
        hung.hold();
        pickUp = a.pipeline.sharedRetraining!.pickUp();
        await hung.reached;
        expect(await requestOf(a, request)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));

        // The run's deadline (an hour for this watch) passes: its claim is renewed no more, and the run ends.
        await advance(HOUR + MINUTE);
        const renewals = claims.sent.length;
        await advance(30 * MINUTE);
        expect(claims.sent.length).toBe(renewals);
        await pickUp;
        expect(await requestOf(a, request)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
        expect(await onDemand(a, target)).toHaveLength(versionsOfA);

        // Past the lapse pod-b, holding the target, takes the request and runs it.
        await advance(30 * MINUTE);
        await b.pipeline.runOnce();
        const answeredAt = clocks.b.now();
        expect(await requestOf(b, request)).toEqual(
          expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1, failed: [], answeredAt })
        );
        const versions = await onDemand(b, target);
        expect(versions).toHaveLength(versionsOfA + 1);
        expect(versions[0]).toEqual(expect.objectContaining({ status: 'active', trainedAt: answeredAt }));

        // pod-a's write answers at last: the request stays pod-b's answer, and pod-a's watch cycles on.
        // (The late version is recorded all the same, the store having no write conditional on the
        // claim: the record's gap, not what runs, since pod-a abandoned the run before swapping it in.)
        hung.release();
        await hung.answered;
        await a.pipeline.runOnce();
        expect(await requestOf(a, request)).toEqual(
          expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1, answeredAt })
        );
        expect(a.pipeline.watches()[0].lastProcessedAt).toBe(Math.floor(clocks.a.now() / MINUTE) * MINUTE);
      } finally {
        hung.release();
        await pickUp;
        await b.close();
        await a.close(true);
      }
    }
  );
});
