import { FixedMembership, TargetShare } from '../../src/server/coordination/members';
import { jobWatch } from '../harness/spikingFleet';
import { buildPipeline, HOUR, MINUTE, TestClock } from './helpers';
import { held, onDemand, queue, requestOf, sharedStores, twoReplicas } from './retrainReplicas';
import { retrainQuerier, SHARED_NOW } from './sharedWatch';

// A request's claim must hold while its retraining lasts, past the lapse (a large fleet's history;
// up to the run's deadline, retrainDeadline.ts): a lapsed claim is another replica's to take, which
// would run it again and race a second model version against the first. A dead replica's claim must
// still lapse. And a request must wait for
// what it waits for: the replica holding its target, which for a watch with a long step may learn
// the target a step later. Replicas on one store, SQLite (one file) and a real PostgreSQL.
const NOW = SHARED_NOW;
const stores = sharedStores('retrain-claims');
/** Three days of history: a retraining of it may run 72 minutes (a second a step), past a claim's lapse. */
const longWatch = { ...jobWatch, history: '3d' };

describe.each(stores)('a retrain request claim, on %s', (_name, open) => {
  it('holds while a live replica runs it past the lapse, and lapses when that replica dies', async () => {
    const { a, b, clocks, slow, advance, holdRun, close } = await twoReplicas(await open(), [longWatch]);
    try {
      const target = held(b)[0];
      expect(held(a)).toContain(target);

      // pod-a takes the request; its retraining lasts 70 minutes.
      const long = await queue(a, target, clocks.a.now());
      const { run } = await holdRun();
      expect(await requestOf(a, long)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
      await advance(HOUR + 10 * MINUTE, [clocks.a, clocks.b]);
      // pod-b, holding the target too, neither runs it again nor answers it as expired.
      await b.pipeline.runOnce();
      expect(await onDemand(b, target)).toEqual([]);
      expect(await requestOf(b, long)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
      slow.release();
      await run;
      expect(await onDemand(b, target)).toEqual([expect.objectContaining({ status: 'active' })]);
      expect(await requestOf(b, long)).toEqual(
        expect.objectContaining({
          state: 'done',
          claimedBy: 'pod-a',
          trained: 1,
          answeredAt: NOW + 3 * MINUTE + HOUR + 10 * MINUTE,
        })
      );

      // pod-a takes the next one and dies running it: its clock stops, its renewals with it.
      const orphaned = await queue(a, target, clocks.a.now());
      await holdRun();
      await advance(HOUR, [clocks.b]);
      await b.pipeline.runOnce();
      expect(await requestOf(b, orphaned)).toEqual(expect.objectContaining({ state: 'running', claimedBy: 'pod-a' }));
      await advance(MINUTE, [clocks.b]);
      await b.pipeline.runOnce();
      expect(await requestOf(b, orphaned)).toEqual(
        expect.objectContaining({ state: 'done', claimedBy: 'pod-b', trained: 1 })
      );
      expect(await onDemand(b, target)).toHaveLength(2);
    } finally {
      await close();
    }
  });

  it('leaves a request another replica took while this one could not renew its claim', async () => {
    const { a, b, clocks, claims, slow, outlastLapse, close } = await twoReplicas(await open(), [
      longWatch,
      { ...longWatch, name: 'v' },
    ]);
    try {
      // One request of each watch: w's for a target pod-a alone holds, v's for one pod-b holds too.
      const alone = held(a).find((id) => id.startsWith('w{') && !held(b).includes(id))!;
      const both = held(b).find((id) => id.startsWith('v{'))!;
      await queue(a, alone, clocks.a.now());
      const taken = await queue(a, both, clocks.a.now());
      // pod-a's retraining of w lasts past the lapse, and the store refuses its renewals meanwhile.
      const { run } = await outlastLapse({ claimsRefused: true });
      expect(await requestOf(b, taken)).toEqual(expect.objectContaining({ state: 'done', claimedBy: 'pod-b' }));
      claims.refusing = false;
      slow.release();
      await run;
      // pod-a, its claim lost, does not run v's request again.
      expect(await onDemand(a, both)).toHaveLength(1);
      expect(await requestOf(a, taken)).toEqual(expect.objectContaining({ state: 'done', claimedBy: 'pod-b' }));
    } finally {
      await close();
    }
  });

  it("waits a few of its watch's steps when they are longer than the hour a request waits at least", async () => {
    const shared = await open();
    const clock = new TestClock(NOW);
    const slowWatch = { ...jobWatch, name: 'slow', step: '2h', history: '24h', probation: 2 };
    const h = buildPipeline({ watches: [jobWatch, slowWatch] }, clock, {
      dataDir: shared.dataDir,
      extra: {
        querierFor: () => retrainQuerier,
        ownership: new TargetShare(new FixedMembership('pod-a', ['pod-a']), clock, 0),
        repository: await shared.repository(clock),
      },
    });
    try {
      await h.pipeline.runOnce();
      // Neither target is held by anyone (both went): one of each watch.
      await h.pipeline.repo.queueRetraining(
        ['w', 'slow'].map((watch) => ({
          replica: 'pod-b',
          watch,
          target: `${watch}{job="gone"}`,
          requestedBy: 'pod-b',
          requestedAt: clock.now(),
        }))
      );
      const states = async () =>
        Object.fromEntries((await h.pipeline.repo.retrainRequestList({ limit: 10 })).map((r) => [r.watch, r.state]));
      clock.advance(HOUR + MINUTE);
      await h.pipeline.runOnce();
      expect(await states()).toEqual({ w: 'expired', slow: 'queued' });
      // Three steps of two hours, exactly, is not yet past; a minute more is.
      clock.advance(5 * HOUR - MINUTE);
      await h.pipeline.runOnce();
      expect(await states()).toEqual({ w: 'expired', slow: 'queued' });
      clock.advance(MINUTE);
      await h.pipeline.runOnce();
      expect(await states()).toEqual({ w: 'expired', slow: 'expired' });
    } finally {
      await h.close(true);
    }
  });
});
