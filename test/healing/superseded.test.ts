// An approved action runs only the change that was approved. The fresh dry run right before
// execution is compared with the approved one; when the cluster changed meanwhile the action is
// superseded (not run, the reason says what changed) and proposed again from what is there now.

import { deployment, node, pod } from '../kube/objects';
import { anomaly, realWrites, setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;
const replicas = () => s.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas;
/** Someone else (a person, an autoscaler) sets the replica count. */
const scaleBehindOurBack = (n: number) => s.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: n }));
const states = async () =>
  (await s.engine.actions.list({ limit: 50, offset: 0 })).items.map((a) => [a.id, a.state]).reverse();

describe('scale', () => {
  it('an approved scale-out never scales down: 5 → 6 approved, the workload went to 9 meanwhile', async () => {
    s = await setUp();
    scaleBehindOurBack(5);
    const [id] = await s.engine.onAnomaly(anomaly());
    expect((await s.engine.actions.get(id))!.dryRun!.changes).toEqual([
      { field: 'deployment shop/cart replicas', from: '5', to: '6' },
    ]);
    scaleBehindOurBack(9);
    await s.engine.approve(id, 'alice');
    await s.engine.idle();

    expect(replicas()).toBe(9);
    expect(realWrites(s)).toEqual([]);
    const superseded = (await s.engine.actions.get(id))!;
    expect(superseded).toMatchObject({
      state: 'superseded',
      reason: {
        kind: 'superseded',
        message: expect.stringContaining(
          'deployment shop/cart now has 9 replicas, not the 5 this change to 6 was planned from: it was not scaled'
        ),
      },
    });
    // Proposed again from what is there now, for a new approval.
    const [, again] = await states();
    expect(again[1]).toBe('awaiting_approval');
    const reproposal = (await s.engine.actions.get(again[0] as number))!;
    expect(reproposal.action).toEqual({ type: 'scale', target: cart, replicas: 10, expectReplicas: 9, ceiling: 20 });
    expect(reproposal.dryRun!.changes).toEqual([{ field: 'deployment shop/cart replicas', from: '9', to: '10' }]);
    expect(superseded.reason!.message).toMatch(new RegExp(`; proposed again as action ${reproposal.id}$`));
    const audit = (await s.engine.audit.list({ actionId: id, limit: 20, offset: 0, format: 'json' })).items.map(
      (e) => e.kind
    );
    expect(audit).toContain('superseded');
    expect(audit).not.toContain('executing');
    const proposed = await s.engine.audit.list({
      actionId: reproposal.id,
      kind: ['proposed'],
      limit: 5,
      offset: 0,
      format: 'json',
    });
    expect(proposed.items[0].message).toMatch(new RegExp(`again after action ${id} was superseded$`));
  });

  it('a change between the last check and the write is caught too: superseded, never 9 → 6', async () => {
    s = await setUp();
    scaleBehindOurBack(5);
    const [id] = await s.engine.onAnomaly(anomaly());
    // The fresh dry run sees 5; the real patch is refused (stale resourceVersion) because the count went to 9.
    s.kube.inject({
      method: 'PATCH',
      path: /\/scale$/,
      match: (r) => !r.dryRun,
      times: 1,
      sideEffect: () => scaleBehindOurBack(9),
    });
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(replicas()).toBe(9);
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'superseded',
      reason: { message: expect.stringContaining('now has 9 replicas, not the 5') },
    });
  });

  it('auto gate: superseded, proposed again and run from the new count', async () => {
    s = await setUp({ policies: [{ name: 'out', action: { type: 'scale', delta: 1 }, gate: 'auto' }] });
    // The first read is the proposal's dry run; before the execution's fresh one the count changes.
    let reads = 0;
    s.kube.inject({
      method: 'GET',
      path: /\/scale$/,
      times: 2,
      sideEffect: () => (reads += 1) === 2 && scaleBehindOurBack(7),
    });
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect(replicas()).toBe(8);
    expect(await states()).toEqual([
      [id, 'superseded'],
      [id + 1, 'succeeded'],
    ]);
    expect(realWrites(s)).toHaveLength(1);
  });

  it('a trigger that keeps being superseded is proposed again a few times, then left to a person', async () => {
    s = await setUp({ policies: [{ name: 'out', action: { type: 'scale', delta: 1 }, gate: 'auto' }] });
    // An autoscaler fighting us: every execution's fresh dry run finds another count.
    let n = 3;
    s.kube.inject({
      method: 'GET',
      path: /\/scale$/,
      sideEffect: () => scaleBehindOurBack((n += 1)),
    });
    await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect((await states()).map(([, state]) => state)).toEqual([
      'superseded',
      'superseded',
      'superseded',
      'superseded',
    ]);
    const last = (await s.engine.actions.list({ limit: 1, offset: 0 })).items[0];
    expect(last.reason!.message).toMatch(/not proposed again: the anomaly \d+ was proposed again 3 times/);
    expect(realWrites(s)).toEqual([]);
  });

  it('not proposed again when the anomaly closed meanwhile', async () => {
    s = await setUp();
    const trigger = anomaly();
    const [id] = await s.engine.onAnomaly(trigger);
    // While the execution's fresh dry run reads the count, it changes and the anomaly closes.
    s.kube.inject({
      method: 'GET',
      path: /\/scale$/,
      times: 1,
      sideEffect: () => {
        scaleBehindOurBack(9);
        // The store's write lands at once, inside the side effect.
        void s.engine.onAnomalyClosed(trigger.id);
      },
    });
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(await states()).toEqual([[id, 'superseded']]);
    expect((await s.engine.actions.get(id))!.reason!.message).toMatch(
      new RegExp(`; not proposed again: the anomaly ${trigger.id} closed$`)
    );
    expect(replicas()).toBe(9);
  });
});

describe('delete-pod', () => {
  const sick = () =>
    pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'StatefulSet', ownerName: 'cart' });
  const podTrigger = () => anomaly({ object: { kind: 'pod', namespace: 'shop', name: 'cart-1' } });

  it('an approved delete deletes the pod once: its dry runs delete nothing', async () => {
    s = await setUp({ policies: [{ name: 'kill', action: { type: 'delete-pod' }, gate: 'approve' }] });
    s.kube.add(sick());
    const uid = s.kube.get('Pod', 'cart-1', 'shop')!.metadata.uid;
    const [id] = await s.engine.onAnomaly(podTrigger());
    expect((await s.engine.actions.get(id))!.action).toMatchObject({ expectUid: uid });
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'succeeded',
      result: { summary: 'pod shop/cart-1 deleted (grace 30s); StatefulSet cart replaces it' },
      dryRun: { summary: 'would delete pod shop/cart-1 (grace 30s); StatefulSet cart would replace it' },
    });
    const deletes = s.kube.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.dryRun)).toEqual([true, true, false]);
    // The proposal's dry run finds the pod; after it, every delete is pinned to that pod's uid.
    expect(deletes.map((r) => (r.body as { preconditions?: { uid: string } }).preconditions?.uid)).toEqual([
      undefined,
      uid,
      uid,
    ]);
  });

  it('the pod was replaced before the approval: superseded, the replacement is left alone', async () => {
    s = await setUp({ policies: [{ name: 'kill', action: { type: 'delete-pod' }, gate: 'approve' }] });
    s.kube.add(sick());
    const [id] = await s.engine.onAnomaly(podTrigger());
    // The StatefulSet's controller replaced the pod under the same name.
    s.kube.add(sick());
    const replacement = s.kube.get('Pod', 'cart-1', 'shop')!.metadata.uid;
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(s.kube.get('Pod', 'cart-1', 'shop')!.metadata.uid).toBe(replacement);
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'superseded',
      reason: { message: expect.stringContaining('pod shop/cart-1 is no longer the pod we meant') },
    });
    const [, again] = await states();
    expect(await s.engine.actions.get(again[0] as number)).toMatchObject({
      state: 'awaiting_approval',
      action: { expectUid: replacement },
    });
  });
});

describe('nodes', () => {
  it('cordon: the node was cordoned by someone else before the approval', async () => {
    s = await setUp({ policies: [{ name: 'c', action: { type: 'cordon' }, gate: 'approve' }] });
    s.kube.add(node('n1'));
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name: 'n1' } }));
    s.kube.add(node('n1', true));
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'superseded',
      reason: {
        message: expect.stringContaining('approved node n1 spec.unschedulable false → true; it would now be no change'),
      },
    });
    // Proposed again, the dry run says there is nothing to do.
    const [, again] = await states();
    expect(await s.engine.actions.get(again[0] as number)).toMatchObject({
      state: 'blocked',
      reason: { kind: 'nothing-to-do', message: 'node n1 is already cordoned: nothing to do' },
    });
    expect(await s.engine.actions.heldNodes()).toEqual([]);
  });

  it('drain: the node was cordoned and drained by someone else before the approval', async () => {
    s = await setUp({ policies: [{ name: 'd', action: { type: 'drain' }, gate: 'approve' }] });
    s.kube.add(node('n1'), pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }));
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name: 'n1' } }));
    s.kube.add(node('n1', true));
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'superseded',
      reason: { message: expect.stringContaining('node n1 was cordoned since the approval, by someone else') },
    });
    expect(realWrites(s)).toEqual([]);
    expect(s.kube.get('Pod', 'cart-1', 'shop')).toBeDefined();
  });
});
