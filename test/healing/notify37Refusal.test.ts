// A drain that failed keeps its node cordoned and held when Kubernetes refuses the uncordon, and the
// leader's every tick tries again: the refusal is audited once, not once per tick, and not once more
// per restart or per change of leader either. Whether it was said is read from the audit log (the
// action's last entry), which every replica shares. Two replicas on one store (SQLite in one
// process; PostgreSQL through two pools), exactly one leading; time moved by the FakeClock only.

import type { PolicyInput } from '../../src/contract/healing';
import type { HealingEngine } from '../../src/server/healing';
import type { Store } from '../../src/server/store/store';
import type { Harness } from '../kube/harness';
import { node, pod, podDisruptionBudget } from '../kube/objects';
import { drainPolicy, drainSuite } from './drainSetup';
import { engineOn, tickDone } from './engineOn';
import { closeStores, electedAs, type ElectedRole } from './replicaStores';
import { anomaly, kubernetesEntries, nodePatches, policy } from './setup';

const T = Date.parse('2025-06-02T10:00:00Z');
const suite = drainSuite(T, 'notify37refusal');
const drain: PolicyInput = { ...drainPolicy, action: { type: 'drain', timeoutSeconds: 30 } };

let h: Harness | undefined;
let stored: Store[] = [];
let engines: HealingEngine[] = [];
afterEach(async () => {
  for (const engine of engines) {
    await engine.stop();
  }
  await closeStores(stored);
  await h?.kube.close();
  engines = [];
});

const open = (store: Store, role: ElectedRole) =>
  engineOn(h!, store, { policies: [policy(drain)], ...electedAs(role, T) });

const uncordons = () =>
  nodePatches(h!, 'n1').filter((q) => (q.body as { spec?: { unschedulable?: boolean } }).spec?.unschedulable === false);

/** Every replica's tick, the leader's first. */
async function tickAll(): Promise<void> {
  for (const engine of engines) {
    await tickDone(engine);
  }
}

describe.each(suite.kinds)('a lasting refusal to give a node back, on %s', (kind) => {
  it('is audited once across ticks, a restart of the leader and a new leader on the other replica', async () => {
    h = await suite.cluster(
      node('n1'),
      pod({ namespace: 'shop', name: 'db-0', nodeName: 'n1', ownerKind: 'StatefulSet', labels: { app: 'db' } }),
      podDisruptionBudget({ namespace: 'shop', name: 'db', matchLabels: { app: 'db' }, minAvailable: 1 })
    );
    stored = await suite.stores(kind);
    engines = [await open(stored[0], 'leader'), await open(stored[1], 'follower')];
    h.kube.inject({
      method: 'PATCH',
      path: '/api/v1/nodes/n1',
      match: (q) => !q.dryRun && (q.body as { spec?: { unschedulable?: boolean } }).spec?.unschedulable === false,
      status: 403,
    });

    // The drain fails (the budget keeps db-0 past its deadline) and its own uncordon is refused.
    const [id] = await engines[0].onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
    await engines[0].idle();
    expect((await engines[0].actions.get(id))!.state).toBe('failed');
    const entries = () => kubernetesEntries(engines[0], id);
    const [failure] = await entries();

    // The leader's ticks try again: the refusal is audited once.
    await tickAll();
    await tickAll();
    expect(uncordons()).toHaveLength(3);
    const [refusal, ...before] = await entries();
    expect(before.map((e) => e.id)).toEqual([failure.id]);
    expect(refusal.message).toContain('node n1 stays cordoned');

    // The leader restarts (a new process on its store): it tries again, and says nothing new.
    await engines[0].stop();
    engines[0] = await open(stored[0], 'leader');
    await tickAll();
    expect(uncordons()).toHaveLength(4);
    expect((await entries()).map((e) => e.id)).toEqual([refusal.id, failure.id]);

    // Leadership moves to the other replica: the same.
    for (const engine of engines) {
      await engine.stop();
    }
    engines = [await open(stored[1], 'leader'), await open(stored[0], 'follower')];
    await tickAll();
    expect(uncordons()).toHaveLength(5);
    expect((await entries()).map((e) => e.id)).toEqual([refusal.id, failure.id]);
    expect(await engines[0].actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);

    // Another refusal is news: said once.
    h.kube.clearFaults();
    h.kube.inject({
      method: 'PATCH',
      path: '/api/v1/nodes/n1',
      match: (q) => !q.dryRun && (q.body as { spec?: { unschedulable?: boolean } }).spec?.unschedulable === false,
      status: 500,
    });
    await tickAll();
    await tickAll();
    const [other, ...rest] = await entries();
    expect(rest.map((e) => e.id)).toEqual([refusal.id, failure.id]);
    expect(other.message).not.toBe(refusal.message);
  });
});
