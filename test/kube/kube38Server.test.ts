// The test server against kube-apiserver behaviours checked for kube38, with plain fetch.

import { deployment, node, pod, podDisruptionBudget } from './objects';
import { KubeTestServer, startKubeTestServer } from './server';
import { sendJson } from './send';

let kube: KubeTestServer;
beforeEach(async () => {
  kube = await startKubeTestServer();
});
afterEach(() => kube.close());

const send = (method: string, path: string, body?: unknown, contentType?: string) =>
  sendJson(kube.url, method, path, body, contentType);

describe('an eviction of a pod two budgets select (eviction.go, rtStatus)', () => {
  it('answers 201 with a Status that says Failure, code 500, no reason, and deletes nothing', async () => {
    kube.add(
      pod({ namespace: 'shop', name: 'web-1', labels: { app: 'web', tier: 'front' }, ownerKind: 'ReplicaSet' }),
      podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable: 0 }),
      podDisruptionBudget({ namespace: 'shop', name: 'front', matchLabels: { tier: 'front' }, minAvailable: 0 })
    );
    const answer = await send('POST', '/api/v1/namespaces/shop/pods/web-1/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web-1' },
    });
    expect(answer).toEqual({
      status: 201,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        code: 500,
      },
    });
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });
});

describe('an eviction through a budget the disruption controller has not synced (checkAndDecrement)', () => {
  it('is a 429 saying so, with Retry-After: 10 from the Status, and deletes nothing', async () => {
    kube.add(
      pod({ namespace: 'shop', name: 'web-1', labels: { app: 'web' }, ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'shop', name: 'web-2', labels: { app: 'web' }, ownerKind: 'ReplicaSet' }),
      podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable: 1 })
    );
    kube.staleBudget('web', 'shop');
    const response = await fetch(`${kube.url}/api/v1/namespaces/shop/pods/web-1/eviction`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1' } }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(await response.json()).toMatchObject({
      reason: 'TooManyRequests',
      details: {
        retryAfterSeconds: 10,
        causes: [
          { reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' },
        ],
      },
    });
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });
});

describe('lists, as etcd3 GetList and the field label conversions serve them', () => {
  beforeEach(() =>
    kube.add(
      pod({ namespace: 'web', name: 'b', nodeName: 'n1' }),
      pod({ namespace: 'shop', name: 'z', nodeName: 'n1' }),
      pod({ namespace: 'shop', name: 'a', nodeName: 'n2', phase: 'Succeeded' }),
      { ...pod({ namespace: 'shop', name: 'pending' }), spec: { containers: [] } },
      node('n1'),
      node('n2', true)
    )
  );
  const names = (list: { items: Array<{ metadata: { namespace?: string; name: string } }> }) =>
    list.items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);

  it('in key order (namespace, then name), whatever order they were stored in', async () => {
    expect(names((await send('GET', '/api/v1/pods')).body)).toEqual(['shop/a', 'shop/pending', 'shop/z', 'web/b']);
  });

  it('takes the field labels each kind declares, an empty value included, and refuses others with 400', async () => {
    const pods = async (selector: string) => send('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent(selector)}`);
    expect(names((await pods('spec.nodeName=n1')).body)).toEqual(['shop/z', 'web/b']);
    expect(names((await pods('spec.nodeName=')).body)).toEqual(['shop/pending']);
    expect(names((await pods('status.phase=Succeeded')).body)).toEqual(['shop/a']);
    expect(names((await send('GET', '/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue')).body)).toEqual(['/n2']);
    expect((await send('GET', '/api/v1/nodes?fieldSelector=metadata.namespace%3Dx')).body).toMatchObject({
      code: 400,
      message: 'field label not supported: metadata.namespace',
    });
    expect((await send('GET', '/apis/apps/v1/deployments?fieldSelector=spec.nodeName%3Dn1')).body).toMatchObject({
      code: 400,
      message: 'field label not supported: spec.nodeName',
    });
  });

  it('chunks with limit and continue, counting what is left when nothing filters', async () => {
    const first = (await send('GET', '/api/v1/pods?limit=3')).body;
    expect(names(first)).toEqual(['shop/a', 'shop/pending', 'shop/z']);
    expect(first.metadata).toMatchObject({ remainingItemCount: 1, continue: expect.any(String) });
    const second = (await send('GET', `/api/v1/pods?limit=3&continue=${encodeURIComponent(first.metadata.continue)}`))
      .body;
    expect(names(second)).toEqual(['web/b']);
    expect(second.metadata.continue).toBeUndefined();
    const filtered = (await send('GET', '/api/v1/pods?limit=1&fieldSelector=spec.nodeName%3Dn1')).body;
    expect(filtered.metadata.remainingItemCount).toBeUndefined();
    expect(filtered.metadata.continue).toEqual(expect.any(String));
  });

  it('answers a continue token older than the compaction with 410 Expired, and one it never issued with 400', async () => {
    const first = (await send('GET', '/api/v1/pods?limit=2')).body;
    kube.expireContinueTokens();
    const expired = await send('GET', `/api/v1/pods?limit=2&continue=${encodeURIComponent(first.metadata.continue)}`);
    expect(expired).toMatchObject({
      status: 410,
      body: {
        reason: 'Expired',
        message: expect.stringContaining('too old'),
        metadata: { continue: expect.any(String) },
      },
    });
    // A fresh list, and its token, work again.
    const fresh = (await send('GET', '/api/v1/pods?limit=2')).body;
    expect((await send('GET', `/api/v1/pods?continue=${encodeURIComponent(fresh.metadata.continue)}`)).status).toBe(
      200
    );
    expect((await send('GET', '/api/v1/pods?limit=2&continue=bm90LWEtdG9rZW4')).body).toMatchObject({ code: 400 });
  });
});

describe('the scale subresource (scaleUpdatedObjectInfo)', () => {
  it('refuses a Scale naming another uid with 409 and changes nothing', async () => {
    kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 2 }));
    const response = await fetch(`${kube.url}/apis/apps/v1/namespaces/shop/deployments/cart/scale`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { uid: 'another' }, spec: { replicas: 5 } }),
    });
    expect(response.status).toBe(409);
    expect((await response.json()).message).toContain('Precondition failed: UID in precondition: another');
    expect(kube.get('Deployment', 'cart', 'shop')!.spec?.replicas).toBe(2);
  });
});
