import { node, pod } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { cordon, uncordon } from './nodes';
import { deletePod } from './pods';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(
    node('n1'),
    pod({ namespace: 'shop', name: 'cart-7d9f-abcde', nodeName: 'n1', ownerKind: 'ReplicaSet', ownerName: 'cart-7d9f' })
  );
});
afterEach(() => h.kube.close());

const target = { namespace: 'shop', name: 'cart-7d9f-abcde' };
const uid = () => h.kube.get('Pod', target.name, 'shop')!.metadata.uid;

describe('delete-pod', () => {
  it('deletes the pod with a grace period and the uid precondition, and says what replaces it', async () => {
    const expectUid = uid();
    h.kube.setPodTerminationReads(1);
    const result = await deletePod(h.client, { ...target, gracePeriodSeconds: 5, expectUid });
    expect(result.ok && result.value).toMatchObject({
      uid: expectUid,
      nodeName: 'n1',
      owner: 'ReplicaSet cart-7d9f',
      summary: 'pod shop/cart-7d9f-abcde deleted (grace 5s); ReplicaSet cart-7d9f replaces it',
    });
    // With a body the API server reads every option from it: the grace period must be there too.
    expect(h.kube.writes()).toEqual([
      expect.objectContaining({
        method: 'DELETE',
        path: '/api/v1/namespaces/shop/pods/cart-7d9f-abcde',
        query: {},
        body: { gracePeriodSeconds: 5, preconditions: { uid: expectUid } },
      }),
    ]);
    expect(h.kube.get('Pod', target.name, 'shop')?.metadata).toMatchObject({ deletionGracePeriodSeconds: 5 });
  });

  it('a dry run of a delete pinned to the uid deletes nothing: dryRun travels in the DeleteOptions body', async () => {
    const expectUid = uid();
    const result = await deletePod(h.client, { ...target, gracePeriodSeconds: 5, expectUid, dryRun: true });
    expect(h.kube.get('Pod', target.name, 'shop')?.metadata.uid).toBe(expectUid);
    expect(h.kube.writes()).toEqual([
      expect.objectContaining({
        query: {},
        body: { dryRun: ['All'], gracePeriodSeconds: 5, preconditions: { uid: expectUid } },
        dryRun: true,
      }),
    ]);
    expect(result.ok && result.value).toMatchObject({
      dryRun: true,
      summary: 'would delete pod shop/cart-7d9f-abcde (grace 5s); ReplicaSet cart-7d9f would replace it',
    });
  });

  it('never deletes a replacement: a different uid is refused by the API server', async () => {
    const result = await deletePod(h.client, { ...target, expectUid: 'uid-of-the-pod-that-was-sick' });
    expect(!result.ok && result.error).toMatchObject({
      kind: 'changed',
      status: 409,
      message:
        'pod shop/cart-7d9f-abcde is no longer the pod we meant (uid uid-of-the-pod-that-was-sick): it was replaced, so it was not deleted',
    });
    expect(h.kube.get('Pod', target.name, 'shop')).toBeDefined();
    const gone = await deletePod(h.client, { namespace: 'shop', name: 'gone', expectUid: 'u' });
    expect(!gone.ok && gone.error).toMatchObject({
      kind: 'changed',
      message: 'pod shop/gone (uid u) is gone already: nothing was deleted',
    });
  });

  it('dry run keeps the pod', async () => {
    const result = await deletePod(h.client, { ...target, dryRun: true });
    expect(result.ok && result.value.dryRun).toBe(true);
    expect(h.kube.writes()[0]).toMatchObject({ query: {}, body: { dryRun: ['All'] }, dryRun: true });
    expect(h.kube.get('Pod', target.name, 'shop')).toBeDefined();
  });

  it('a missing pod is a not-found error naming it', async () => {
    const result = await deletePod(h.client, { namespace: 'shop', name: 'gone' });
    expect(!result.ok && result.error.message).toBe('Kubernetes has no pods shop/gone');
  });
});

describe('cordon and uncordon', () => {
  it('cordon patches spec.unschedulable with a strategic merge patch', async () => {
    const result = await cordon(h.client, { node: 'n1' });
    expect(result.ok && result.value).toMatchObject({
      changed: true,
      wasSchedulable: true,
      schedulable: false,
      summary: 'node n1 cordoned: no new pods will be scheduled on it',
    });
    expect(h.kube.writes()).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        path: '/api/v1/nodes/n1',
        contentType: 'application/strategic-merge-patch+json',
        // Guarded by the resourceVersion it was read at: another cordon meanwhile is a 409, not ours.
        body: { metadata: { resourceVersion: '1001' }, spec: { unschedulable: true } },
      }),
    ]);
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(true);
  });

  it('an already cordoned node is left alone', async () => {
    await cordon(h.client, { node: 'n1' });
    const again = await cordon(h.client, { node: 'n1' });
    expect(again.ok && again.value).toMatchObject({ changed: false, summary: 'node n1 already cordoned' });
    expect(h.kube.writes()).toHaveLength(1);
  });

  it('uncordon makes it schedulable again; dry run changes nothing', async () => {
    await cordon(h.client, { node: 'n1' });
    const dry = await uncordon(h.client, { node: 'n1', dryRun: true });
    expect(dry.ok && dry.value).toMatchObject({ changed: true, dryRun: true });
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(true);
    const real = await uncordon(h.client, { node: 'n1' });
    expect(real.ok && real.value.schedulable).toBe(true);
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(false);
    const strict = { fieldValidation: 'Strict' };
    expect(h.kube.writes().map((r) => r.query)).toEqual([strict, { ...strict, dryRun: 'All' }, strict]);
  });

  it('a missing node is named', async () => {
    const result = await cordon(h.client, { node: 'n9' });
    expect(!result.ok && result.error.message).toBe('Kubernetes has no nodes n9');
  });
});
