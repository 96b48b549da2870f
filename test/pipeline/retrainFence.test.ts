import { jobWatch } from '../harness/spikingFleet';
import { HOUR, MINUTE } from './helpers';
import { held, onDemand, queue, requestOf, sharedStores, twoReplicas } from './retrainReplicas';
import { SHARED_NOW } from './sharedWatch';

// A replica cut off from the store for over an hour in the middle of a request's retraining has lost
// its claim: another replica took the request and answered it with its own model version. When the
// first replica's run ends, it must store no model for that request (two versions of one request
// would race), while the requests of the same run it still holds keep theirs.
const stores = sharedStores('retrain-fence');

describe.each(stores)('a retraining whose request claim lapsed, on %s', (_name, open) => {
  it('stores no model for the request another replica took and answered, and keeps those still held', async () => {
    // Steps of half an hour: a request waits an hour and a half (retrainRequestWaitMs), longer than its
    // claim's lapse; 80 days of them: a retraining may run 64 minutes (retrainDeadline.ts), past the lapse.
    const { a, b, clocks, claims, slow, outlastLapse, close } = await twoReplicas(await open(), [
      { ...jobWatch, step: '30m', history: '80d', probation: 2 },
    ]);
    try {
      // Two requests of one watch, run together: one for a target pod-a alone holds, one for a target pod-b holds too.
      const alone = held(a).find((id) => !held(b).includes(id))!;
      const both = held(b)[0];
      const kept = await queue(a, alone, clocks.a.now());
      const taken = await queue(a, both, clocks.a.now());
      // pod-a's run is held past the lapse while the store refuses its renewals; pod-b takes and answers `both`.
      const { run } = await outlastLapse({ claimsRefused: true });
      expect(await requestOf(b, taken)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1 })
      );
      expect(await onDemand(b, both)).toHaveLength(1);

      // The store answers again and pod-a's run ends.
      claims.refusing = false;
      slow.release();
      await run;
      expect(await onDemand(a, both)).toEqual([
        expect.objectContaining({ status: 'active', trainedAt: SHARED_NOW + 3 * MINUTE + HOUR + MINUTE }),
      ]);
      expect(await requestOf(a, taken)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1 })
      );
      expect(await onDemand(a, alone)).toEqual([expect.objectContaining({ status: 'active' })]);
      expect(await requestOf(a, kept)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-a', trained: 1 })
      );
    } finally {
      await close();
    }
  });
});
