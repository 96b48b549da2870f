// Cordons against what kube-apiserver really does with a PATCH that names a stale resourceVersion:
// 409 Conflict (registry/generic/registry/store.go, Store.Update), which only a guarded PATCH gets.

import { drain } from '../../src/server/kubernetes/drain';
import { cordon } from '../../src/server/kubernetes/nodes';
import { Harness, startHarness } from '../kube/harness';
import { node, pod } from '../kube/objects';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(node('n1'), pod({ namespace: 'shop', name: 'web-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }));
});
afterEach(() => h.kube.close());

/** An operator cordons n1 (`kubectl cordon`) after our read of it and before our PATCH arrives. */
const operatorCordonsFirst = () =>
  h.kube.inject({
    method: 'PATCH',
    path: '/api/v1/nodes/n1',
    times: 1,
    sideEffect: () => {
      const n1 = h.kube.get('Node', 'n1')!;
      h.kube.add({ ...n1, spec: { ...n1.spec, unschedulable: true } });
    },
  });

describe('a cordon that someone else made between our read and our PATCH', () => {
  it('is not taken for ours: a failed drain leaves the operator’s cordon in place', async () => {
    operatorCordonsFirst();
    h.kube.inject({ method: 'POST', path: /\/eviction$/, status: 403 });

    const outcome = await drain(h.client, { node: 'n1', owner: '7' });

    expect(outcome.ok).toBe(false);
    if (outcome.ok) {
      return;
    }
    expect(outcome.report).toMatchObject({ cordonedByDrain: false, uncordoned: false });
    expect(h.kube.get('Node', 'n1')!.spec?.unschedulable).toBe(true);
    expect(h.kube.get('Node', 'n1')!.metadata.annotations?.['failureprophet.io/cordoned-by']).toBeUndefined();
    expect(
      h.kube
        .writes()
        .filter((r) => r.path === '/api/v1/nodes/n1')
        .map((r) => r.status)
    ).toEqual([409]);
  });

  it('a cordon action finds the node already cordoned and changes nothing', async () => {
    operatorCordonsFirst();

    const result = await cordon(h.client, { node: 'n1', owner: '7' });

    expect(result.ok && result.value).toMatchObject({ changed: false, summary: 'node n1 already cordoned' });
    expect(h.kube.get('Node', 'n1')!.metadata.annotations?.['failureprophet.io/cordoned-by']).toBeUndefined();
  });
});
