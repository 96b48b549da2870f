// Two drains of one node: a node's hold belongs to one action at a time. A second drain of a node whose
// first drain still keeps it (paused half-way, then cancelled while Kubernetes refused the uncordon,
// so still holding it) waits with a node-budget reason naming the first, and runs once the first has
// given the node back; it never takes the hold over, and the node's cordon stays the first drain's to
// undo. A hold another replica claims between a drain's check and its claim is not taken over either.
// Both stores, the second drain on another replica's store; the Kubernetes API test server, the FakeClock.

import pino from 'pino';
import { Registry } from 'prom-client';
import { safetyLimitsSchema, type PolicyInput } from '../../src/contract/healing';
import { HealingEngine, type HealingEngineDeps } from '../../src/server/healing';
import { cordonOwner } from '../../src/server/healing/cordonOwner';
import type { Store } from '../../src/server/store/store';
import { startHarness, type Harness } from '../kube/harness';
import { node, pod } from '../kube/objects';
import { closeStores, electedAs, replicaStores } from './replicaStores';
import { anomaly, isCordoned, policy } from './setup';

const CORDONED_BY = 'failureprophet.io/cordoned-by';
// Monday 17:59 UTC: inside the automatic drain's window, which closes at 18:00.
const T = Date.parse('2025-06-02T17:59:00Z');
const stores = replicaStores(T);
let round = 0;

const inHours: PolicyInput = {
  name: 'drain-in-hours',
  match: { severities: ['high'] },
  action: { type: 'drain' },
  gate: 'auto',
  autoWindows: { timeZone: 'UTC', windows: [{ days: ['mon', 'tue'], from: '08:00', to: '18:00' }] },
};
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

interface Running {
  h: Harness;
  engine: HealingEngine;
  stored: Store[];
}

let r: Running | undefined;
afterEach(async () => {
  if (r) {
    await r.engine.stop();
    await closeStores(r.stored);
    await r.h.kube.close();
    r = undefined;
  }
});

const openEngine = (h: Harness, store: Store, election: Partial<HealingEngineDeps> = {}) =>
  HealingEngine.open({
    ...election,
    store,
    kube: h.client,
    clock: h.clock,
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    policies: [policy(inHours), policy(byHand), policy(cordonByHand)],
    limits,
  });

/** The pods each real eviction took, in order. */
const evicted = () =>
  r!.h.kube.requests
    .filter((q) => q.method === 'POST' && q.path.endsWith('/eviction') && !q.dryRun)
    .map((q) => q.path.split('/')[6]);

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await r!.engine.tick();
    await r!.engine.idle();
  }
}

/**
 * On the first replica: an automatic drain of n1 (three pods) pauses after its first eviction, the
 * window closing; then that replica stops and the second leads. Returns the paused drain's id.
 */
async function pausedDrainOnFirstReplica(kind: string): Promise<number> {
  const h = await startHarness();
  h.clock.advance(T - h.clock.now());
  h.kube.add(
    node('spare-1'),
    node('spare-2'),
    node('spare-3'),
    node('n1'),
    ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `a-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' }))
  );
  const stored = await stores[kind](`onedrain${++round}`);
  r = { h, engine: await openEngine(h, stored[0]), stored };
  // The evicted pod takes a poll to go; meanwhile the window closes.
  h.kube.setPodTerminationReads(1);
  let closed = false;
  h.clock.onSleep = () => {
    if (!closed) {
      closed = true;
      h.clock.advance(2 * 60_000);
    }
  };
  const [id] = await r.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
  await r.engine.idle();
  expect(await r.engine.actions.get(id)).toMatchObject({ state: 'approved', progress: { cordonedByDrain: true } });
  expect(evicted()).toEqual(['a-1']);
  await r.engine.stop();
  r.engine = await openEngine(h, stored[1]);
  return id;
}

describe.each(Object.keys(stores))('two drains of one node, on %s', (kind) => {
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
    const h = await startHarness();
    h.clock.advance(T - h.clock.now());
    h.kube.add(node('spare-1'), node('spare-2'), node('spare-3'), node('n1'));
    h.kube.add(pod({ namespace: 'shop', name: 'a-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }));
    const stored = await stores[kind](`onedrain${++round}`);
    r = { h, engine: await openEngine(h, stored[1]), stored };
    const { engine } = r;
    // Replica A only takes approvals here; its claim is made by hand, at the moment chosen below.
    const replicaA = await openEngine(h, stored[0], electedAs('follower', T));
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
