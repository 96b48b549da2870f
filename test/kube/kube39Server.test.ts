// The test server against the kube-apiserver behaviours the kube39 drain relies on, with plain fetch:
// a missing DaemonSet's 404, a uid precondition of '' on an eviction and on a Scale, and no object
// stored without a uid.

import { daemonSet, deployment, pod } from './objects';
import { KubeTestServer, startKubeTestServer } from './server';
import { sendJson } from './send';

let kube: KubeTestServer;
beforeEach(async () => {
  kube = await startKubeTestServer();
});
afterEach(() => kube.close());

const send = (method: string, path: string, body?: unknown, contentType?: string) =>
  sendJson(kube.url, method, path, body, contentType);

describe('the test server', () => {
  it('answers the GET of a missing DaemonSet with the NotFound Status the API server writes', async () => {
    expect(await send('GET', '/apis/apps/v1/namespaces/monitoring/daemonsets/agent')).toEqual({
      status: 404,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'daemonsets.apps "agent" not found',
        reason: 'NotFound',
        details: { name: 'agent', group: 'apps', kind: 'daemonsets' },
        code: 404,
      },
    });
  });

  it("takes an eviction's uid precondition of '' as one no pod meets (BeforeDelete compares the pointer's value): 409, nothing deleted", async () => {
    const web = pod({ namespace: 'shop', name: 'web-1', ownerKind: 'ReplicaSet' });
    kube.add(web);

    const answer = await send('POST', '/api/v1/namespaces/shop/pods/web-1/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web-1' },
      deleteOptions: { preconditions: { uid: '' } },
    });

    expect(answer.status).toBe(409);
    expect(answer.body.message).toBe(
      `Operation cannot be fulfilled on Pod "web-1": the UID in the precondition () does not match the UID in record (${web.metadata.uid}). The object might have been deleted and then recreated`
    );
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });

  it("takes a Scale's uid of '' as no precondition (scaleUpdatedObjectInfo: len(scale.UID) > 0), another uid as 409", async () => {
    kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 2 }));
    const path = '/apis/apps/v1/namespaces/shop/deployments/cart/scale';

    const unpinned = await send(
      'PATCH',
      path,
      { metadata: { uid: '' }, spec: { replicas: 3 } },
      'application/merge-patch+json'
    );
    const other = await send(
      'PATCH',
      path,
      { metadata: { uid: 'another' }, spec: { replicas: 4 } },
      'application/merge-patch+json'
    );

    expect([unpinned.status, other.status]).toEqual([200, 409]);
    expect(kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(3);
  });

  it('refuses to hold an object without a uid, which the API server never stores', () => {
    const agent = daemonSet({ namespace: 'monitoring', name: 'agent' });
    delete (agent.metadata as { uid?: string }).uid;

    expect(() => kube.add(agent)).toThrow(
      'the test server refuses DaemonSet agent without a metadata.uid: the API server would not store it'
    );
  });
});
