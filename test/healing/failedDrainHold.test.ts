// A drain that fails (a PodDisruptionBudget refuses its evictions until its deadline) uncordons the
// node it cordoned on its failure path. When Kubernetes refuses that uncordon, the drain still ends
// `failed` with the node cordoned and held: the leader then tries again at each tick (not at once:
// the failure path has just tried), audits the refusal once, and gives the node back when it is
// uncordoned, by it or by someone else, or gone. Without that the node budget (one node at a time)
// would keep every later drain waiting for good. Both stores, on the Kubernetes API test server,
// time moved by the FakeClock only.

import type { PolicyInput } from '../../src/contract/healing';
import type { Store } from '../../src/server/store/store';
import type { Harness } from '../kube/harness';
import { node, pod, podDisruptionBudget } from '../kube/objects';
import { drainPolicy, drainSuite, endRun, type DrainRun } from './drainSetup';
import { engineOn, tickDone } from './engineOn';
import { anomaly, isCordoned, kubernetesEntries, nodePatches, policy } from './setup';

const T = Date.parse('2025-06-02T10:00:00Z');
const suite = drainSuite(T, 'faileddrain');

const drain: PolicyInput = { ...drainPolicy, action: { type: 'drain', timeoutSeconds: 30 } };

interface Running extends DrainRun {
  /** Whether the running engine leads (its `leads`). */
  leading: boolean;
}

let r: Running | undefined;
afterEach(async () => {
  await endRun(r);
  r = undefined;
});

const openEngine = (h: Harness, store: Store) =>
  engineOn(h, store, { policies: [policy(drain)], leads: () => r!.leading });

async function start(kind: string): Promise<Running> {
  const h = await suite.cluster();
  const stored = await suite.stores(kind);
  r = { h, stored, leading: true } as Running;
  r.engine = await openEngine(h, stored[0]);
  return r;
}

const unschedulable = (name: string) => isCordoned(r!.h, name);
const realPatches = (name: string) => nodePatches(r!.h, name);
const uncordons = (name: string) =>
  realPatches(name).filter((q) => (q.body as { spec?: { unschedulable?: boolean } }).spec?.unschedulable === false);
const entriesOf = (actionId: number) => kubernetesEntries(r!.engine, actionId);

const tick = () => tickDone(r!.engine);

const refuseUncordon = (status: number) =>
  r!.h.kube.inject({
    method: 'PATCH',
    path: '/api/v1/nodes/n1',
    match: (q) => !q.dryRun && (q.body as { spec?: { unschedulable?: boolean } }).spec?.unschedulable === false,
    status,
  });

/**
 * Drains n1, whose one pod a PodDisruptionBudget keeps there past the drain's deadline: the drain
 * fails. `uncordonRefused`: Kubernetes answers its failure path's uncordon with that status.
 * Returns the drain's id.
 */
async function failedDrain(uncordonRefused?: number): Promise<number> {
  const { h, engine } = r!;
  h.kube.add(
    node('n1'),
    pod({ namespace: 'shop', name: 'db-0', nodeName: 'n1', ownerKind: 'StatefulSet', labels: { app: 'db' } }),
    podDisruptionBudget({ namespace: 'shop', name: 'db', matchLabels: { app: 'db' }, minAvailable: 1 })
  );
  if (uncordonRefused !== undefined) {
    refuseUncordon(uncordonRefused);
  }
  const [id] = await engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
  await engine.idle();
  const failed = (await engine.actions.get(id))!;
  expect(failed).toMatchObject({ state: 'failed', reason: { message: expect.stringContaining('within 30s') } });
  expect(failed.progress).toMatchObject({ cordonedByDrain: true });
  // The cordon, then the failure path's one uncordon, and nothing more as the drain ends.
  expect(realPatches('n1').map((q) => (q.body as { spec: { unschedulable: boolean } }).spec.unschedulable)).toEqual([
    true,
    false,
  ]);
  return id;
}

/** A second drain, of n2, which the node budget lets run only once n1 is given back. */
async function secondDrain(): Promise<number> {
  r!.h.kube.add(node('n2'), pod({ namespace: 'shop', name: 'web-1', nodeName: 'n2', ownerKind: 'ReplicaSet' }));
  const [id] = await r!.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n2' } }));
  await r!.engine.idle();
  return id;
}

const REFUSED_AGAIN =
  ': node n1 stays cordoned (drain node n1 cordoned it and failed) and still counts toward the node budget; tried again at each tick, or give it back with `kubectl uncordon n1`';

describe.each(suite.kinds)('a failed drain whose own uncordon was refused, on %s', (kind) => {
  it('keeps its node cordoned and held, so a second drain waits; the leader tries again at each tick, audits the refusal once and gives the node back', async () => {
    await start(kind);
    const id = await failedDrain(403);
    expect((await r!.engine.actions.get(id))!.result!.details).toMatchObject({
      cordonedByDrain: true,
      uncordoned: false,
    });
    expect(unschedulable('n1')).toBe(true);
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
    const [failure] = await entriesOf(id);
    expect(failure.message).toContain('node n1 is still cordoned: Kubernetes refused');

    // Refused again at the next tick: audited once, as the engine's retry.
    await tick();
    expect(uncordons('n1')).toHaveLength(2);
    const [refused, ...before] = await entriesOf(id);
    expect(before.map((e) => e.id)).toEqual([failure.id]);
    expect(refused.message).toMatch(/^Kubernetes answered with an error: Kubernetes refused: .* cannot patch nodes/);
    expect(refused.message).toContain(REFUSED_AGAIN);
    expect(refused.details).toMatchObject({ kind: 'forbidden', status: 403 });
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);

    // The node budget (one node at a time) counts n1: a drain of n2 waits. Its approval asks for a
    // tick, which tries n1 again: refused, not audited again.
    const second = await secondDrain();
    expect(await r!.engine.actions.get(second)).toMatchObject({
      state: 'approved',
      reason: { kind: 'node-budget', message: expect.stringContaining(`node n1 (action ${id})`) },
    });
    expect(uncordons('n1')).toHaveLength(3);
    await tick();
    expect(uncordons('n1')).toHaveLength(4);
    expect(await entriesOf(id)).toHaveLength(2);

    // Kubernetes accepts: n1 is uncordoned and given back, and in the same tick the drain of n2 runs.
    r!.h.kube.clearFaults();
    await tick();
    expect(uncordons('n1')).toHaveLength(5);
    expect(unschedulable('n1')).toBe(false);
    expect((await entriesOf(id))[0].message).toBe(
      'Kubernetes accepted: node n1 uncordoned: it accepts new pods again; drain node n1 cordoned it and failed; the node budget no longer counts it'
    );
    expect((await r!.engine.actions.get(id))!.state).toBe('failed');
    expect((await r!.engine.actions.get(second))!.state).toBe('succeeded');
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n2', actionId: second }]);

    // Nothing left to give back: no further uncordon of n1, no further entry.
    await tick();
    expect(uncordons('n1')).toHaveLength(5);
    expect(await entriesOf(id)).toHaveLength(3);
  });

  it('gives back, without an uncordon, a node someone uncordoned meanwhile', async () => {
    await start(kind);
    const id = await failedDrain(500);
    r!.h.kube.add({ ...r!.h.kube.get('Node', 'n1')!, spec: {} });
    await tick();

    expect(uncordons('n1')).toHaveLength(1);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toBe(
      'node n1 already schedulable; drain node n1 cordoned it and failed; the node budget no longer counts it'
    );
  });

  it('gives back a node that is gone (404)', async () => {
    await start(kind);
    const id = await failedDrain(503);
    r!.h.kube.remove('Node', 'n1');
    await tick();

    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect((await entriesOf(id))[0].message).toBe(
      'Kubernetes answered with an error: Kubernetes has no nodes n1: the node is gone, nothing stays cordoned; the node budget no longer counts it'
    );
  });

  it('is given back by the leader only: a replica that does not lead leaves it to the one that does', async () => {
    await start(kind);
    const id = await failedDrain(403);
    r!.h.kube.clearFaults();
    r!.leading = false;
    await tick();
    expect(uncordons('n1')).toHaveLength(1);
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);

    // This replica stops; another one, on the same store, leads now.
    await r!.engine.stop();
    r!.leading = true;
    r!.engine = await openEngine(r!.h, r!.stored[1]);
    await tick();
    expect(uncordons('n1')).toHaveLength(2);
    expect(unschedulable('n1')).toBe(false);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
  });
});

describe.each(suite.kinds)('a failed drain whose own uncordon was accepted, on %s', (kind) => {
  it('is uncordoned once, by its failure path: the hold goes with its outcome and no tick uncordons it again', async () => {
    await start(kind);
    const id = await failedDrain();
    expect(unschedulable('n1')).toBe(false);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    const entries = await entriesOf(id);
    expect(entries.map((e) => e.message)).toEqual([expect.stringContaining('; node n1 uncordoned')]);

    await tick();
    await tick();
    expect(uncordons('n1')).toHaveLength(1);
    expect(await entriesOf(id)).toEqual(entries);
  });
});
