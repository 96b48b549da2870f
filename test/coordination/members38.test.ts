import { runMembership, type Membership } from '../../src/server/coordination/members';
import { TestClock } from '../pipeline/helpers';

/** A membership whose rounds wait until the test lets them end, counting how many began. */
function heldMembership(): Membership & { began: number; inFlight: number; release(): void; left: boolean } {
  let releases: Array<() => void> = [];
  const m = {
    identity: 'a',
    began: 0,
    inFlight: 0,
    left: false,
    heartbeat: async () => {
      m.began++;
      m.inFlight++;
      // The first round (at start) ends at once; the others wait for the test.
      if (m.began > 1) {
        await new Promise<void>((resolve) => releases.push(resolve));
      }
      m.inFlight--;
    },
    release: () => {
      const held = releases;
      releases = [];
      held.forEach((resolve) => resolve());
    },
    live: () => ['a'],
    lastError: () => undefined,
    leave: async () => {
      m.left = true;
    },
  };
  return m;
}

const settled = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
};

describe('membership rounds', () => {
  it('lets at most one round wait behind a slow one instead of queueing every tick, so a stop waits for one round', async () => {
    const clock = new TestClock(0);
    const membership = heldMembership();
    const running = await runMembership(membership, clock, 5_000);
    expect(membership.began).toBe(1);

    // A store that answers in a minute: twelve ticks pass during the second round.
    for (let i = 0; i < 13; i++) {
      clock.advance(5_000);
      await settled();
    }
    expect([membership.began, membership.inFlight]).toEqual([2, 1]);
    // It ends: one round follows at once for the ticks it covered, not twelve.
    membership.release();
    await settled();
    expect([membership.began, membership.inFlight]).toEqual([3, 1]);
    membership.release();
    await settled();
    expect([membership.began, membership.inFlight]).toEqual([3, 0]);
    // The next tick starts the next round: the loop goes on after a slow one.
    clock.advance(5_000);
    await settled();
    expect(membership.began).toBe(4);

    clock.advance(5_000); // one more waits behind it
    let stopped = false;
    const stopping = running.stop().then(() => {
      stopped = true;
    });
    await settled();
    expect(stopped).toBe(false); // waits for the round in flight...
    membership.release();
    await stopping;
    // ...and for no other: the waiting one was dropped, and the replica withdrew.
    expect(membership.began).toBe(4);
    expect(membership.left).toBe(true);
  });
});
