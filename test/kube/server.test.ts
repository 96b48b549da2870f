// The test server's own contract: what a real API server would answer, checked with plain fetch.

import { deployment, pod, podDisruptionBudget } from './objects';
import { KubeTestServer, startKubeTestServer } from './server';

let kube: KubeTestServer;
beforeEach(async () => {
  kube = await startKubeTestServer();
  kube.add(
    deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
    pod({ namespace: 'shop', name: 'web-1', nodeName: 'n1', labels: { app: 'web' }, ownerKind: 'ReplicaSet' }),
    podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable: 1 })
  );
});
afterEach(() => kube.close());

const send = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
  const response = await fetch(kube.url + path, {
    method,
    headers: { 'Content-Type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};
const scalePath = '/apis/apps/v1/namespaces/shop/deployments/cart/scale';

describe('Kubernetes API test server', () => {
  it('serves the scale subresource for GET, PATCH and PUT', async () => {
    const got = await send('GET', scalePath);
    expect(got.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { selector: 'app=cart' },
    });
    await send('PUT', scalePath, { ...got.body, spec: { replicas: 4 } });
    expect(kube.get('Deployment', 'cart', 'shop')?.spec?.replicas).toBe(4);
    const stale = await send('PUT', scalePath, { ...got.body, spec: { replicas: 6 } });
    expect(stale.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
  });

  it('validates like the API server: replicas, dryRun values, patch media types, methods', async () => {
    expect(
      (await send('PATCH', scalePath, { spec: { replicas: -1 } }, 'application/merge-patch+json')).body
    ).toMatchObject({
      code: 422,
      details: { causes: [{ field: 'spec.replicas' }] },
    });
    expect(
      (await send('PATCH', `${scalePath}?dryRun=Yes`, { spec: { replicas: 1 } }, 'application/merge-patch+json')).status
    ).toBe(400);
    expect((await send('PATCH', scalePath, { spec: { replicas: 1 } }, 'application/json')).status).toBe(415);
    expect(
      (
        await send(
          'PATCH',
          scalePath,
          [{ op: 'replace', path: '/spec/replicas', value: 2 }],
          'application/json-patch+json'
        )
      ).body.spec.replicas
    ).toBe(2);
    expect((await send('DELETE', '/apis/apps/v1/namespaces/shop/deployments/cart')).status).toBe(405);
  });

  it('lists pods by node and computes PodDisruptionBudget status from the pods it selects', async () => {
    expect((await send('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1')).body.items).toHaveLength(1);
    expect((await send('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2')).body.items).toHaveLength(0);
    expect((await send('GET', '/apis/policy/v1/namespaces/shop/poddisruptionbudgets/web')).body.status).toEqual({
      currentHealthy: 1,
      desiredHealthy: 1,
      disruptionsAllowed: 0,
    });
  });

  it('answers a forbidden eviction with the real 429 Status', async () => {
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'shop' } };
    const blocked = await send('POST', '/api/v1/namespaces/shop/pods/web-1/eviction', eviction);
    expect(blocked).toEqual({
      status: 429,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        reason: 'TooManyRequests',
        details: {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: 'The disruption budget web needs 1 healthy pods and has 1 currently',
            },
          ],
        },
        code: 429,
      },
    });
    kube.remove('PodDisruptionBudget', 'web', 'shop');
    expect((await send('POST', '/api/v1/namespaces/shop/pods/web-1/eviction', eviction)).status).toBe(201);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeUndefined();
  });

  it('records every request and applies a fault only as often as asked', async () => {
    kube.inject({ method: 'GET', path: scalePath, status: 503, times: 1 });
    expect((await send('GET', scalePath)).status).toBe(503);
    expect((await send('GET', scalePath)).status).toBe(200);
    expect(kube.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', scalePath],
      ['GET', scalePath],
    ]);
  });

  it('requires the bearer token when given one', async () => {
    const guarded = await startKubeTestServer({ token: 'secret' });
    try {
      const response = await fetch(`${guarded.url}/api/v1/pods`);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    } finally {
      await guarded.close();
    }
  });
});
