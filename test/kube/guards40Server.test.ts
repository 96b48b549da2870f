// The test server against the kube-apiserver behaviours the guards40 resourceVersion guard relies on,
// with plain fetch: a PATCH whose resourceVersion is "" is no precondition (it parses as 0, an
// unconditional update), a stale one is 409; and reads answer without one only when a test asks.

import { deployment, node } from './objects';
import { KubeTestServer, startKubeTestServer } from './server';
import { sendJson } from './send';

let kube: KubeTestServer;
beforeEach(async () => {
  kube = await startKubeTestServer();
  kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 2 }), node('n1'));
});
afterEach(() => kube.close());

const send = (method: string, path: string, body?: unknown, contentType?: string) =>
  sendJson(kube.url, method, path, body, contentType);
const cartScale = '/apis/apps/v1/namespaces/shop/deployments/cart/scale';

describe('the test server', () => {
  it('takes a PATCH with resourceVersion "" as unguarded (Store.Update: 0 is an unconditional update), a stale one as 409', async () => {
    const unguarded = await send(
      'PATCH',
      '/api/v1/nodes/n1',
      { metadata: { resourceVersion: '' }, spec: { unschedulable: true } },
      'application/strategic-merge-patch+json'
    );
    const stale = await send(
      'PATCH',
      '/api/v1/nodes/n1',
      { metadata: { resourceVersion: '1' }, spec: { unschedulable: false } },
      'application/strategic-merge-patch+json'
    );

    expect([unguarded.status, stale.status]).toEqual([200, 409]);
    expect(kube.get('Node', 'n1')!.spec!.unschedulable).toBe(true);
  });

  it('takes a Scale with resourceVersion "" as unguarded too', async () => {
    const answer = await send(
      'PATCH',
      cartScale,
      { metadata: { resourceVersion: '' }, spec: { replicas: 3 } },
      'application/merge-patch+json'
    );

    expect(answer.status).toBe(200);
    expect(kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(3);
  });

  it('answers reads of an object without its resourceVersion only once asked, its scale included', async () => {
    const before = await send('GET', '/apis/apps/v1/namespaces/shop/deployments/cart');
    kube.readWithoutResourceVersion('Deployment', 'cart', 'shop');
    const workload = await send('GET', '/apis/apps/v1/namespaces/shop/deployments/cart');
    const scale = await send('GET', cartScale);
    const otherNode = await send('GET', '/api/v1/nodes/n1');

    expect(before.body.metadata.resourceVersion).toEqual(expect.any(String));
    expect(workload.body.metadata).not.toHaveProperty('resourceVersion');
    expect(workload.body.metadata.name).toBe('cart');
    expect(scale.body.metadata).not.toHaveProperty('resourceVersion');
    expect(otherNode.body.metadata.resourceVersion).toEqual(expect.any(String));
    expect(kube.get('Deployment', 'cart', 'shop')!.metadata.resourceVersion).toEqual(expect.any(String));
  });
});
