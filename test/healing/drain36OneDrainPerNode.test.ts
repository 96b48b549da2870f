// Two drains of one node: a node's hold belongs to one action at a time. A second drain of a node whose
// first drain still keeps it (paused half-way, then cancelled while Kubernetes refused the uncordon,
// so still holding it) waits with a node-budget reason naming the first, and runs once the first has
// given the node back; it never takes the hold over, and the node's cordon stays the first drain's to
// undo. A hold another replica claims between a drain's check and its claim is not taken over either.
// Both stores, the second drain on another replica's store; the Kubernetes API test server, the FakeClock.

import { safetyLimitsSchema, type PolicyInput } from '../../src/contract/healing';
import { cordonOwner } from '../../src/server/healing/cordonOwner';
import type { Store } from '../../src/server/store/store';
import type { Harness } from '../kube/harness';
import {
  closeWindowMidDrain,
  CORDONED_BY,
  drainSuite,
  drainUntilSix,
  endRun,
  MINUTE_TO_SIX,
  nodeWithPods,
  type DrainRun,
} from './drainSetup';
import { engineOn, tickDone, type EngineChoices } from './engineOn';
import { electedAs } from './replicaStores';
import { anomaly, isCordoned, policy } from './setup';

const suite = drainSuite(MINUTE_TO_SIX, 'onedrain');

const inHours: PolicyInput = { ...drainUntilSix, name: 'drain-in-hours' };
const byHand: PolicyInput = {
  name: 'drain-by-hand',
  match: { severities: ['critical'] },
  action: { type: 'drain' },
  gate: 'approve',
};
const cordonByHand: PolicyInput = {
  name: 'cordon-by-hand',
  match: { severities: ['low'] },
  action: { type: 'cordon' },
  gate: 'approve',
};
// No cooldown: the second drain of the node is held back by the first's hold alone.
const limits = safetyLimitsSchema.parse({ cooldownSeconds: 0 });

let r: DrainRun | undefined;
afterEach(async () => {
  await endRun(r);
  r = undefined;
});

const openEngine = (h: Harness, store: Store, election: EngineChoices = {}) =>
  engineOn(h, store, { ...election, policies: [policy(inHours), policy(byHand), policy(cordonByHand)], limits });

/** The pods each real eviction took, in order. */
const evicted = () =>
  r!.h.kube.requests
    .filter((q) => q.method === 'POST' && q.path.endsWith('/eviction') && !q.dryRun)
    .map((q) => q.path.split('/')[6]);

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await tickDone(r!.engine);
  }
}

/**
 * On the first replica: an automatic drain of n1 (three pods) pauses after its first eviction, the
 * window closing; then that replica stops and the second leads. Returns the paused drain's id.
 */
async function pausedDrainOnFirstReplica(kind: string): Promise<number> {
  const h = await suite.cluster(...nodeWithPods('n1', 3));
  const stored = await suite.stores(kind);
  r = { h, engine: await openEngine(h, stored[0]), stored };
  closeWindowMidDrain(h);
  const [id] = await r.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
  await r.engine.idle();
  expect(await r.engine.actions.get(id)).toMatchObject({ state: 'approved', progress: { cordonedByDrain: true } });
  expect(evicted()).toEqual(['a-1']);
  await r.engine.stop();
  r.engine = await openEngine(h, stored[1]);
  return id;
}

describe.each(suite.kinds)('two drains of one node, on %s', (kind) => {
  it('a second drain waits while the first still holds the node, and runs once the first has given it back', async () => {
    const first = await pausedDrainOnFirstReplica(kind);
    const { engine, h } = r!;
    // The first drain is cancelled while Kubernetes refuses its uncordon: it ends still holding n1.
    h.kube.inject({ method: 'PATCH', path: '/api/v1/nodes/n1', match: (q) => !q.dryRun, status: 503 });
    await engine.settings.setPolicies(
      [policy({ ...inHours, enabled: false }), policy(byHand), policy(cordonByHand)],
      'admin'
    );
    await settle();
    expect((await engine.actions.get(first))!.state).toBe('cancelled');
    expect(await engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: first }]);

    const [second] = await engine.onAnomaly(anomaly({ severity: 'critical', object: { kind: 'node', name: 'n1' } }));
    await engine.idle();
    expect((await engine.approve(second, 'alice')).ok).toBe(true);
    await settle();

    expect(await engine.actions.get(second)).toMatchObject({
      state: 'approved',
      reason: {
        kind: 'node-budget',
        message: `waiting: node n1 is still held by action ${first} (cancelled), which gives it back first; one action at a time on a node, so this one runs once that action has ended and given the node back`,
      },
    });
    expect(await engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: first }]);
    expect(evicted()).toEqual(['a-1']);
    expect(h.kube.get('Node', 'n1')!.metadata.annotations?.[CORDONED_BY]).toBe(
      cordonOwner((await engine.actions.get(first))!)
    );

    // Kubernetes answers again: the first drain uncordons the node it cordoned, then the second runs.
    h.kube.clearFaults();
    await settle();

    expect(await engine.actions.get(second)).toMatchObject({ state: 'succeeded', progress: { cordonedByDrain: true } });
    expect(evicted()).toEqual(['a-1', 'a-2', 'a-3']);
    // The node is the second drain's now: cordoned by it, named on it, held by it.
    expect(isCordoned(h, 'n1')).toBe(true);
    expect(h.kube.get('Node', 'n1')!.metadata.annotations?.[CORDONED_BY]).toBe(
      cordonOwner((await engine.actions.get(second))!)
    );
    expect(await engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: second }]);
  });

  it('a hold another replica claims between the check and the claim is not taken over', async () => {
    const h = await suite.cluster(...nodeWithPods('n1', 1));
    const stored = await suite.stores(kind);
    r = { h, engine: await openEngine(h, stored[1]), stored };
    const { engine } = r;
    // Replica A only takes approvals here; its claim is made by hand, at the moment chosen below.
    const replicaA = await openEngine(h, stored[0], electedAs('follower', MINUTE_TO_SIX));
    try {
      const [drainId] = await engine.onAnomaly(anomaly({ severity: 'critical', object: { kind: 'node', name: 'n1' } }));
      const [cordonId] = await engine.onAnomaly(anomaly({ severity: 'low', object: { kind: 'node', name: 'n1' } }));
      await engine.idle();
      expect((await replicaA.approve(cordonId, 'bob')).ok).toBe(true);
      await replicaA.idle();

      // The drain has passed its node check; right before its claim, replica A claims the cordon of n1.
      const actions = stored[1].healing.actions;
      const claim = actions.claim.bind(actions);
      jest.spyOn(actions, 'claim').mockImplementationOnce(async (...args) => {
        const at = h.clock.now();
        const window = { cooldownSince: at, hourSince: at };
        await stored[0].healing.actions.claim(cordonId, at, window, () => ({
          to: 'executing',
          changes: { startedAt: at },
          audit: [],
          holdNode: 'n1',
        }));
        return claim(...args);
      });
      expect((await engine.approve(drainId, 'alice')).ok).toBe(true);
      await engine.idle();

      // Its claim found the node held by the cordon, which its check had not seen: it did not run.
      expect((await engine.actions.get(drainId))!.state).toBe('approved');
      expect(await engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: cordonId }]);
      expect(evicted()).toEqual([]);
      expect(r.h.kube.realWrites()).toEqual([]);
    } finally {
      await replicaA.stop();
    }
  });
});
