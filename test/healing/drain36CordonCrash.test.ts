// A drain whose process stops between its cordon and the save of its progress (the store write
// fails, then a fresh engine takes over on the same store): the cordon's own PATCH named the drain
// on the node (failureprophet.io/cordoned-by), so the fresh engine knows the cordon as the drain's
// and gives the node back, uncordoned, when the drain is cancelled or fails. Both stores, on the
// Kubernetes API test server, time moved by the FakeClock only.

import { cordonOwner } from '../../src/server/healing/cordonOwner';
import type { Store } from '../../src/server/store/store';
import type { Harness } from '../kube/harness';
import { node, pod } from '../kube/objects';
import { CORDONED_BY, drainPolicy as drain, drainSuite, endRun, nodeWithPods, type DrainRun } from './drainSetup';
import { engineOn, tickDone } from './engineOn';
import { anomaly, isCordoned, kubernetesEntries, nodePatches, policy } from './setup';

const T = Date.parse('2025-06-02T10:00:00Z');
const suite = drainSuite(T, 'cordoncrash');

let r: DrainRun | undefined;
afterEach(async () => {
  await endRun(r);
  r = undefined;
});

const openEngine = (h: Harness, store: Store) => engineOn(h, store, { policies: [policy(drain)] });

/** What the drain writes on the node it cordons: its id and when it was created. */
const ownerOf = async (id: number) => cordonOwner((await r!.engine.actions.get(id))!);
const annotationsOf = (name: string) => r!.h.kube.get('Node', name)!.metadata.annotations ?? {};
const realEvictions = () =>
  r!.h.kube.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/eviction') && !q.dryRun);

const tick = () => tickDone(r!.engine);

/**
 * Drains n1 (three pods) on the first replica's engine until its cordon's progress save fails, as if
 * the process were killed between the PATCH and the save; then that engine stops and a fresh one
 * opens on the other replica's store. Returns the drain's id.
 */
async function crashAfterCordon(kind: string): Promise<number> {
  const h = await suite.cluster(...nodeWithPods('n1', 3));
  const stored = await suite.stores(kind);
  r = { h, engine: await openEngine(h, stored[0]), stored };
  const save = jest
    .spyOn(stored[0].healing.actions, 'setProgress')
    .mockRejectedValueOnce(new Error('the process was killed'));
  const [id] = await r.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
  await r.engine.idle();
  expect(save).toHaveBeenCalledTimes(1);
  save.mockRestore();
  await r.engine.stop();

  // What the crash left: executing, nothing saved, the node cordoned and held; the cordon names the drain.
  const left = await r.engine.actions.get(id);
  expect(left!.state).toBe('executing');
  expect(left!.progress).toBeUndefined();
  expect(await r.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
  expect(nodePatches(h, 'n1')).toEqual([
    expect.objectContaining({
      contentType: 'application/strategic-merge-patch+json',
      body: {
        metadata: { resourceVersion: expect.any(String), annotations: { [CORDONED_BY]: await ownerOf(id) } },
        spec: { unschedulable: true },
      },
      status: 200,
    }),
  ]);
  expect(realEvictions()).toEqual([]);

  r.engine = await openEngine(h, stored[1]);
  return id;
}

describe.each(suite.kinds)('a drain stopped between its cordon and its progress save, on %s', (kind) => {
  it('is cancelled by the fresh engine and uncordons the node its cordon named it on', async () => {
    const id = await crashAfterCordon(kind);
    await r!.engine.settings.setPolicies([policy({ ...drain, enabled: false })], 'admin');
    await tick();

    expect(await r!.engine.actions.get(id)).toMatchObject({ state: 'cancelled', reason: { kind: 'policy-changed' } });
    expect(isCordoned(r!.h, 'n1')).toBe(false);
    expect(annotationsOf('n1')).not.toHaveProperty(CORDONED_BY);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    expect(realEvictions()).toEqual([]);
    const uncordon = nodePatches(r!.h, 'n1')[1];
    expect(uncordon.body).toEqual({
      metadata: { resourceVersion: expect.any(String), annotations: { [CORDONED_BY]: null } },
      spec: { unschedulable: false },
    });
    expect((await kubernetesEntries(r!.engine, id))[0].message).toBe(
      'Kubernetes accepted: node n1 uncordoned: it accepts new pods again; drain node n1 cordoned it and was cancelled before it finished; the node budget no longer counts it'
    );
  });

  it('keeps the node held while it cannot read whose cordon it is, and gives it back at a later tick', async () => {
    const id = await crashAfterCordon(kind);
    // The reconcile's read of n1 goes through; the read that would say whose cordon it is does not.
    let reads = 0;
    r!.h.kube.inject({ method: 'GET', path: '/api/v1/nodes/n1', match: () => ++reads === 2, status: 503 });
    await r!.engine.settings.setPolicies([policy({ ...drain, enabled: false })], 'admin');
    await tick();

    expect((await r!.engine.actions.get(id))!.state).toBe('cancelled');
    expect(isCordoned(r!.h, 'n1')).toBe(true);
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
    expect((await kubernetesEntries(r!.engine, id))[0].message).toMatch(
      /^could not read node n1 \(.*\): cannot tell whether drain node n1 cordoned it; tried again at each tick$/
    );

    await tick();
    expect(isCordoned(r!.h, 'n1')).toBe(false);
    expect(annotationsOf('n1')).not.toHaveProperty(CORDONED_BY);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
  });

  it('resumes on the fresh engine, knows the cordon as its own, and uncordons the node when it fails', async () => {
    const id = await crashAfterCordon(kind);
    r!.h.kube.inject({ method: 'POST', path: /\/eviction$/, match: (q) => !q.dryRun, status: 403 });
    await tick();

    const failed = await r!.engine.actions.get(id);
    expect(failed).toMatchObject({ state: 'failed', progress: { cordonedByDrain: true, evicted: [] } });
    expect(failed!.result!.summary).toContain('node n1 uncordoned');
    expect(isCordoned(r!.h, 'n1')).toBe(false);
    expect(annotationsOf('n1')).not.toHaveProperty(CORDONED_BY);
    expect(await r!.engine.actions.heldNodes()).toEqual([]);
    // Cordoned once before the crash, uncordoned once: the resumed run sent no second cordon.
    expect(nodePatches(r!.h, 'n1').map((q) => q.body)).toEqual([
      {
        metadata: { resourceVersion: expect.any(String), annotations: { [CORDONED_BY]: await ownerOf(id) } },
        spec: { unschedulable: true },
      },
      {
        metadata: { resourceVersion: expect.any(String), annotations: { [CORDONED_BY]: null } },
        spec: { unschedulable: false },
      },
    ]);
  });

  it('resumes on the fresh engine and drains the node, which stays cordoned, named and held', async () => {
    const id = await crashAfterCordon(kind);
    await tick();

    expect(await r!.engine.actions.get(id)).toMatchObject({
      state: 'succeeded',
      progress: { cordonedByDrain: true, evicted: [{ name: 'a-1' }, { name: 'a-2' }, { name: 'a-3' }] },
    });
    expect(isCordoned(r!.h, 'n1')).toBe(true);
    expect(annotationsOf('n1')[CORDONED_BY]).toBe(await ownerOf(id));
    expect(await r!.engine.actions.heldNodes()).toEqual([{ node: 'n1', actionId: id }]);
    expect(realEvictions()).toHaveLength(3);
  });

  it("leaves an operator's cordon of a node that still names an earlier store's action of the same id", async () => {
    // An earlier install's drain 1 cordoned n1 (named by its id alone); `kubectl uncordon` left the
    // annotation; an operator has since cordoned n1 again. This store numbers its actions from 1 again.
    const operators = node('n1', true);
    operators.metadata.annotations = { [CORDONED_BY]: '1' };
    const h = await suite.cluster(
      operators,
      pod({ namespace: 'shop', name: 'a-1', nodeName: 'n1', ownerKind: 'ReplicaSet' })
    );
    h.kube.inject({ method: 'POST', path: /\/eviction$/, match: (q) => !q.dryRun, status: 403 });
    const stored = await suite.stores(kind);
    r = { h, engine: await openEngine(h, stored[0]), stored };
    const [id] = await r.engine.onAnomaly(anomaly({ severity: 'high', object: { kind: 'node', name: 'n1' } }));
    await r.engine.idle();
    expect(id).toBe(1);

    // The drain failed; the cordon it found was not its own, so it undid nothing.
    expect((await r.engine.actions.get(id))!.state).toBe('failed');
    expect(isCordoned(h, 'n1')).toBe(true);
    expect(annotationsOf('n1')).toEqual({ [CORDONED_BY]: '1' });
    expect(nodePatches(h, 'n1')).toEqual([]);
  });
});
