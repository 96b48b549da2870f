import { startWatchSharing } from '../../src/server/coordination/sharing';
import { type Harness, startHarness } from '../kube/harness';

// The function main.ts calls: membership chosen by what is configured, renewed on the clock, left on stop.
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.kube.close());

/** Waits for what the renewal in flight does (its answer from the test server), not for time. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const answered = (method: string) => h.kube.requests.filter((r) => r.method === method && r.status !== undefined);

const options = { group: 'failureprophet', leaseDurationSeconds: 15, renewEveryMs: 5_000, settleMs: 20_000 };

describe('startWatchSharing', () => {
  it('on Kubernetes announces at once, renews every period on the clock, and deletes its Lease on stop', async () => {
    const sharing = await startWatchSharing({
      ...options,
      identity: 'pod-a',
      clock: h.clock,
      kube: { client: h.client, namespace: 'failureprophet' },
    });
    expect(h.kube.get('Lease', 'failureprophet-member-pod-a', 'failureprophet')).toBeDefined();
    expect(sharing.membership.live()).toEqual(['pod-a']);
    // The share is not known until the member list has held for settleMs.
    expect(sharing.ownership!.settled()).toBe(false);
    for (let round = 1; round <= 4; round++) {
      h.clock.advance(5_000);
      await until(() => answered('GET').length === 2 + round);
    }
    expect(h.kube.get('Lease', 'failureprophet-member-pod-a', 'failureprophet')!.spec!.renewTime).toBe(
      '2025-06-01T12:00:20.000000Z'
    );
    expect(sharing.ownership!.settled()).toBe(true);
    expect(sharing.ownership!.owns('load{job="api"}')).toBe(true);
    await sharing.stop();
    const verbs = h.kube.requests.map((r) => r.method);
    expect(verbs.filter((v) => v === 'PUT')).toHaveLength(4);
    expect(verbs.at(-1)).toBe('DELETE');
    expect(h.kube.get('Lease', 'failureprophet-member-pod-a', 'failureprophet')).toBeUndefined();
    // No round after stop.
    const requests = h.kube.requests.length;
    h.clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.kube.requests).toHaveLength(requests);
  });

  it('alone (no Kubernetes, no PostgreSQL) gives the pipeline no ownership: it watches everything', async () => {
    const sharing = await startWatchSharing({ ...options, identity: 'laptop', clock: h.clock });
    expect(sharing.ownership).toBeUndefined();
    expect(sharing.membership.live()).toEqual(['laptop']);
    await sharing.stop();
    expect(h.kube.requests).toEqual([]);
  });
});
