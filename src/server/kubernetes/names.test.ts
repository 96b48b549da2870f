import { deployment, node, pod } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { executeKubeAction, type KubeAction } from './actions';

// Names reach the API path from Prometheus label values and alert labels. The client percent-encodes
// a path segment but keeps its dots, and its URL parsing then collapses '.' and '..': a delete of pod
// ".." in namespace shop is sent as DELETE /api/v1/namespaces/shop (the namespace), of pod "." as
// DELETE /api/v1/namespaces/shop/pods (every pod in it). Nothing that is not a Kubernetes name may be sent.
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(
    node('n1'),
    deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
    pod({ namespace: 'shop', name: 'cart-7d9f-abcde', nodeName: 'n1', ownerKind: 'ReplicaSet', ownerName: 'cart-7d9f' })
  );
});
afterEach(() => h.kube.close());

const hostile: Array<[string, KubeAction]> = [
  ['pod ".." (the namespace itself)', { type: 'delete-pod', namespace: 'shop', name: '..' }],
  ['pod "." (every pod of the namespace)', { type: 'delete-pod', namespace: 'shop', name: '.' }],
  ['namespace ".."', { type: 'delete-pod', namespace: '..', name: 'cart-7d9f-abcde' }],
  ['a pod name with a slash', { type: 'delete-pod', namespace: 'shop', name: 'x/../../kube-system' }],
  ['deployment ".."', { type: 'restart', target: { kind: 'deployment', namespace: 'shop', name: '..' } }],
  [
    'deployment "."',
    { type: 'scale', target: { kind: 'deployment', namespace: 'shop', name: '.' }, delta: 1, ceiling: 5 },
  ],
  ['node ".."', { type: 'cordon', node: '..' }],
  ['node "."', { type: 'drain', node: '.' }],
  ['a namespace spelt in capitals', { type: 'delete-pod', namespace: 'KUBE-SYSTEM', name: 'coredns' }],
  ['a namespace with a trailing space', { type: 'delete-pod', namespace: 'kube-system ', name: 'coredns' }],
  ['a namespace with a zero-width space', { type: 'delete-pod', namespace: 'kube\u200b-system', name: 'coredns' }],
];

describe('names that are not Kubernetes names', () => {
  it.each(hostile)('%s: refused before anything is sent, dry run or not', async (_what, action) => {
    for (const dryRun of [true, false]) {
      const outcome = await executeKubeAction(h.client, action, { dryRun });
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error).toMatchObject({
        kind: 'bad-request',
        message: expect.stringContaining('is not a Kubernetes name, so nothing was sent'),
      });
    }
    expect(h.kube.requests).toEqual([]);
    expect(h.kube.list('Pod')).toHaveLength(1);
  });

  it('real names still go through, dots inside a name included', async () => {
    h.kube.add(
      pod({ namespace: 'shop', name: 'cart.v2-0', nodeName: 'n1', ownerKind: 'ReplicaSet', ownerName: 'cart' })
    );
    const outcome = await executeKubeAction(h.client, { type: 'delete-pod', namespace: 'shop', name: 'cart.v2-0' });
    expect(outcome.ok).toBe(true);
    expect(h.kube.writes().map((w) => `${w.method} ${w.path}`)).toEqual([
      'DELETE /api/v1/namespaces/shop/pods/cart.v2-0',
    ]);
  });
});
