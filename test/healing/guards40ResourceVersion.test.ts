// Every Kubernetes write the actions guard by resourceVersion (scale, restart, cordon, uncordon) is
// refused, naming the object, when the read it was planned from came back without one: sent with
// none (or ""), the API server would apply it whatever changed since (an unconditional update), so
// an autoscaler's count or an operator's cordon made meanwhile would be overwritten. A real API
// server always sets it: the test server leaves it out only where a test asks.

import { deployment, node, pod, statefulSet } from '../kube/objects';
import { Harness, startHarness } from '../kube/harness';
import { executeKubeAction } from '../../src/server/kubernetes/actions';
import { cordon, uncordon } from '../../src/server/kubernetes/nodes';
import { restart, scale } from '../../src/server/kubernetes/workloads';
import { guardOf } from '../../src/server/kubernetes/guardedWrite';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(
    deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
    statefulSet({ namespace: 'shop', name: 'db', replicas: 2 }),
    node('n1'),
    node('n2', true)
  );
});
afterEach(() => h.kube.close());

const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;
const patches = () => h.kube.requests.filter((r) => r.method === 'PATCH');
const unversioned = (what: string, doing: string) =>
  `Kubernetes answered ${what} without a resourceVersion, which a real API server always gives: the change could not be guarded against one made meanwhile, so ${what} was not ${doing}`;

describe('a read answered without a resourceVersion', () => {
  it('refuses a scale, naming the workload; nothing is patched', async () => {
    h.kube.readWithoutResourceVersion('Deployment', 'cart', 'shop');

    const result = await scale(h.client, { target: cart, replicas: 5, ceiling: 10 });

    expect(result).toEqual({
      ok: false,
      error: {
        kind: 'unexpected',
        request: { verb: 'patch', resource: 'deployments/scale', group: 'apps', namespace: 'shop', name: 'cart' },
        message: unversioned('deployment shop/cart', 'scaled'),
      },
    });
    expect(patches()).toEqual([]);
    expect(h.kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(3);
  });

  it('refuses a rolling restart of a StatefulSet; nothing is patched', async () => {
    h.kube.readWithoutResourceVersion('StatefulSet', 'db', 'shop');

    const result = await restart(h.client, { target: { kind: 'statefulset', namespace: 'shop', name: 'db' } });

    expect(!result.ok && result.error.message).toBe(unversioned('statefulset shop/db', 'restarted'));
    expect(patches()).toEqual([]);
  });

  it('refuses a cordon and an uncordon that would change the node; one already as asked needs no write', async () => {
    h.kube.readWithoutResourceVersion('Node', 'n1');
    h.kube.readWithoutResourceVersion('Node', 'n2');

    const cordoned = await cordon(h.client, { node: 'n1', owner: 'action-7' });
    const uncordoned = await uncordon(h.client, { node: 'n2' });
    const already = await cordon(h.client, { node: 'n2' });

    expect(!cordoned.ok && cordoned.error).toEqual({
      kind: 'unexpected',
      request: { verb: 'patch', resource: 'nodes', group: '', name: 'n1' },
      message: unversioned('node n1', 'cordoned'),
    });
    expect(!uncordoned.ok && uncordoned.error.message).toBe(unversioned('node n2', 'uncordoned'));
    expect(already.ok && already.value).toMatchObject({ changed: false, summary: 'node n2 already cordoned' });
    expect(patches()).toEqual([]);
    expect(h.kube.get('Node', 'n1')!.spec?.unschedulable).not.toBe(true);
    expect(h.kube.get('Node', 'n2')!.spec?.unschedulable).toBe(true);
  });

  it('refuses a drain at its cordon: nothing evicted, nothing patched, its dry run alike', async () => {
    h.kube.add(pod({ namespace: 'shop', name: 'web-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }));
    h.kube.readWithoutResourceVersion('Node', 'n1');

    const dryRun = await executeKubeAction(h.client, { type: 'drain', node: 'n1' }, { dryRun: true });
    const real = await executeKubeAction(h.client, { type: 'drain', node: 'n1' });

    for (const outcome of [dryRun, real]) {
      expect(!outcome.ok && outcome.error.message).toBe(unversioned('node n1', 'cordoned'));
    }
    expect(h.kube.writes()).toEqual([]);
    expect(h.kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });

  it('takes a resourceVersion of "" as none: the API server would not guard the write with it either', () => {
    const request = { verb: 'patch', resource: 'nodes', group: '', name: 'n1' } as const;

    expect(guardOf('node n1', 'cordoned', request, '')).toEqual({
      ok: false,
      error: { kind: 'unexpected', request, message: unversioned('node n1', 'cordoned') },
    });
    expect(guardOf('node n1', 'cordoned', request, '1042')).toEqual({ ok: true, value: '1042' });
  });
});
