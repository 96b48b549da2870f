// The test server's own contract: what a real API server would answer, checked with plain fetch.

import { deployment, pod, podDisruptionBudget } from './objects';
import { KubeTestServer, parsePath, startKubeTestServer } from './server';

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
  it("deletes a namespace's whole pod collection on a DELETE without a name, as the API server does", async () => {
    kube.add(pod({ namespace: 'shop', name: 'web-2' }), pod({ namespace: 'web', name: 'front-1' }));
    expect(parsePath('DELETE', '/api/v1/namespaces/shop/pods')).toMatchObject({ verb: 'deletecollection' });
    const dry = await send('DELETE', '/api/v1/namespaces/shop/pods', { dryRun: ['All'] });
    expect(dry).toMatchObject({ status: 200, body: { kind: 'PodList', items: [{}, {}] } });
    expect(kube.list('Pod')).toHaveLength(3);
    await send('DELETE', '/api/v1/namespaces/shop/pods');
    expect(kube.list('Pod').map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['web/front-1']);
  });

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
      (await send('PATCH', `${scalePath}?dryRun=Yes`, { spec: { replicas: 1 } }, 'application/merge-patch+json')).body
    ).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message:
        'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"',
    });
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

  it('answers a JSON Patch that does not apply with 422, as its library does: replace and remove need the member', async () => {
    const nodePath = '/api/v1/nodes/n1';
    kube.add({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', uid: 'u-n1', creationTimestamp: '2025-01-01T00:00:00Z' },
      spec: {},
    });
    const patch = (ops: unknown) => send('PATCH', nodePath, ops, 'application/json-patch+json');
    const unprocessable = {
      code: 422,
      reason: 'Invalid',
      details: { causes: [{ reason: 'UnexpectedServerResponse' }] },
    };
    expect((await patch([{ op: 'replace', path: '/spec/unschedulable', value: true }])).body).toMatchObject({
      ...unprocessable,
      details: { causes: [{ message: expect.stringContaining('doc is missing key: /spec/unschedulable') }] },
    });
    expect((await patch([{ op: 'remove', path: '/spec/unschedulable' }])).body).toMatchObject(unprocessable);
    expect((await patch([{ op: 'add', path: '/spec/taints/0', value: {} }])).body).toMatchObject(unprocessable);
    expect((await patch([{ op: 'test', path: '/spec', value: { x: 1 } }])).body).toMatchObject(unprocessable);
    expect(kube.get('Node', 'n1')?.spec).toEqual({});
    // A body that is not a patch at all is the 400 it was.
    expect((await patch({ spec: { unschedulable: true } })).status).toBe(400);
    expect((await patch([{ op: 'add', path: '/spec/unschedulable', value: true }])).status).toBe(200);
    expect((await patch([{ op: 'replace', path: '/spec/unschedulable', value: false }])).status).toBe(200);
    expect(kube.get('Node', 'n1')?.spec).toEqual({ unschedulable: false });
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

  it("answers the budget update's last 409 on a real eviction the budget allows, and keeps the pod", async () => {
    kube.add(
      pod({ namespace: 'shop', name: 'web-2', nodeName: 'n2', labels: { app: 'web' }, ownerKind: 'ReplicaSet' })
    );
    kube.conflictBudgetUpdates('web', 'shop');
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'shop' } };
    const path = '/api/v1/namespaces/shop/pods/web-1/eviction';
    // A dry run returns before the budget's status update: it cannot conflict.
    expect((await send('POST', `${path}?dryRun=All`, eviction)).status).toBe(201);
    expect(await send('POST', path, eviction)).toMatchObject({
      status: 409,
      body: {
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on poddisruptionbudgets.policy "web": the object has been modified; please apply your changes to the latest version and try again',
        details: { name: 'web', group: 'policy', kind: 'poddisruptionbudgets' },
      },
    });
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect((await send('POST', path, eviction)).status).toBe(201);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeUndefined();
  });

  it("replaces a pod as its StatefulSet would: same name, new uid, another node; the old uid's precondition conflicts", async () => {
    const old = kube.get('Pod', 'web-1', 'shop')!.metadata.uid;
    const uid = kube.replacePod('web-1', 'shop', 'n2');
    expect(kube.get('Pod', 'web-1', 'shop')).toMatchObject({ metadata: { uid }, spec: { nodeName: 'n2' } });
    expect(uid).not.toBe(old);
    const stale = await send('DELETE', '/api/v1/namespaces/shop/pods/web-1', { preconditions: { uid: old } });
    expect(stale).toMatchObject({ status: 409, body: { details: { name: 'web-1', kind: 'Pod' } } });
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

describe('delete options and preconditions, as kube-apiserver reads them', () => {
  const podPath = '/api/v1/namespaces/shop/pods/web-1';
  const uid = () => kube.get('Pod', 'web-1', 'shop')!.metadata.uid;

  it('a DELETE with a body ignores dryRun and gracePeriodSeconds in the query: the pod is deleted', async () => {
    const answer = await send('DELETE', `${podPath}?dryRun=All&gracePeriodSeconds=0`, {
      preconditions: { uid: uid() },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeUndefined();
    expect(kube.requests[0].dryRun).toBe(false);
  });

  it('honours dryRun and gracePeriodSeconds from the body, and from the query only without a body', async () => {
    const dry = await send('DELETE', podPath, {
      dryRun: ['All'],
      gracePeriodSeconds: 5,
      preconditions: { uid: uid() },
    });
    expect(dry.body.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect((await send('DELETE', `${podPath}?dryRun=All`)).status).toBe(200);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect(kube.requests.map((r) => r.dryRun)).toEqual([true, true]);
    expect(kube.realWrites()).toEqual([]);
  });

  it('refuses a dryRun other than All with 422, from the body or the query', async () => {
    expect((await send('DELETE', podPath, { dryRun: ['Yes'] })).body).toMatchObject({
      code: 422,
      message:
        'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"',
      details: { causes: [{ reason: 'FieldValueNotSupported', field: 'dryRun' }] },
    });
    expect((await send('DELETE', `${podPath}?dryRun=true`)).status).toBe(422);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });

  it('refuses a propagationPolicy the API server does not know with 422, from the body or the query', async () => {
    const podPath = '/api/v1/namespaces/shop/pods/web-1';
    const unsupported = {
      code: 422,
      reason: 'Invalid',
      details: { causes: [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy' }] },
    };
    expect((await send('DELETE', podPath, { propagationPolicy: 'background' })).body).toMatchObject(unsupported);
    expect((await send('DELETE', `${podPath}?propagationPolicy=Cascade`)).body).toMatchObject(unsupported);
    expect((await send('DELETE', podPath, { propagationPolicy: 'Orphan', orphanDependents: true })).body).toMatchObject(
      { code: 422, details: { causes: [{ field: 'propagationPolicy' }] } }
    );
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect((await send('DELETE', podPath, { propagationPolicy: 'Background' })).status).toBe(200);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeUndefined();
  });

  it('a uid or resourceVersion precondition that does not hold is a 409 Conflict', async () => {
    const stored = kube.get('Pod', 'web-1', 'shop')!;
    expect((await send('DELETE', podPath, { preconditions: { uid: 'other' } })).body).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on Pod "web-1": the UID in the precondition (other) does not match the UID in record (${stored.metadata.uid}). The object might have been deleted and then recreated`,
      details: { name: 'web-1', kind: 'Pod' },
    });
    expect((await send('DELETE', podPath, { preconditions: { resourceVersion: '1' } })).body).toMatchObject({
      code: 409,
      message: expect.stringContaining(
        `the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${stored.metadata.resourceVersion})`
      ),
    });
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });
});

describe('evictions, as pkg/registry/core/pod/storage/eviction.go handles them', () => {
  const evictionPath = (name: string) => `/api/v1/namespaces/shop/pods/${name}/eviction`;
  const eviction = (name: string, deleteOptions?: object) => ({
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name, namespace: 'shop' },
    ...(deleteOptions ? { deleteOptions } : {}),
  });
  beforeEach(() => kube.remove('PodDisruptionBudget', 'web', 'shop'));

  it('the name in the body must be the one in the URL', async () => {
    expect((await send('POST', evictionPath('web-1'), eviction('web-2'))).body).toMatchObject({
      code: 400,
      message: 'name in URL does not match name in Eviction object',
    });
  });

  it('takes dryRun from the delete options, or from the query when they carry none; both must agree', async () => {
    expect((await send('POST', evictionPath('web-1'), eviction('web-1', { dryRun: ['All'] }))).status).toBe(201);
    expect((await send('POST', `${evictionPath('web-1')}?dryRun=All`, eviction('web-1', {}))).status).toBe(201);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect(
      (await send('POST', `${evictionPath('web-1')}?dryRun=All`, eviction('web-1', { dryRun: ['Yes'] }))).body
    ).toMatchObject({
      code: 500,
      message: 'Non-matching dry-run options in request and content: [All] and [Yes]',
    });
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect(kube.requests.map((r) => r.dryRun)).toEqual([true, true, true]);
  });

  it('honours the uid precondition of the delete options', async () => {
    const answer = await send('POST', evictionPath('web-1'), eviction('web-1', { preconditions: { uid: 'other' } }));
    expect(answer.body).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });

  it('lets an unready pod go while its budget is met, and a pending one whatever the budget', async () => {
    kube.add(
      pod({ namespace: 'shop', name: 'web-2', labels: { app: 'web' }, ownerKind: 'ReplicaSet' }),
      { ...pod({ namespace: 'shop', name: 'web-3', labels: { app: 'web' }, ownerKind: 'ReplicaSet' }), status: {} },
      pod({ namespace: 'shop', name: 'web-4', labels: { app: 'web' }, ownerKind: 'ReplicaSet', phase: 'Pending' }),
      podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable: 3 })
    );
    // web-1, web-2 and web-4 count as healthy (Ready): 3 of 3 needed, no disruption allowed.
    expect((await send('POST', evictionPath('web-1'), eviction('web-1'))).status).toBe(429);
    expect((await send('POST', evictionPath('web-3'), eviction('web-3'))).status).toBe(201);
    expect((await send('POST', evictionPath('web-4'), eviction('web-4'))).status).toBe(201);
    expect(kube.get('Pod', 'web-3', 'shop')).toBeUndefined();
    expect(kube.get('Pod', 'web-4', 'shop')).toBeUndefined();
  });

  it('an unready pod is still refused while its budget is not met', async () => {
    kube.add(
      { ...pod({ namespace: 'shop', name: 'web-3', labels: { app: 'web' }, ownerKind: 'ReplicaSet' }), status: {} },
      podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable: 2 })
    );
    expect((await send('POST', evictionPath('web-3'), eviction('web-3'))).body).toMatchObject({
      code: 429,
      details: { causes: [{ message: 'The disruption budget web needs 2 healthy pods and has 1 currently' }] },
    });
  });
});

describe('test controls', () => {
  it("RBAC: a request the authorizer refuses gets the API server's 403", async () => {
    const guarded = await startKubeTestServer({ authorize: (r) => r.verb === 'get' });
    try {
      guarded.add(pod({ namespace: 'shop', name: 'web-1' }));
      const path = '/api/v1/namespaces/shop/pods/web-1';
      expect((await fetch(guarded.url + path)).status).toBe(200);
      const refused = await fetch(guarded.url + path, { method: 'DELETE' });
      expect(await refused.json()).toMatchObject({
        code: 403,
        message:
          'pods "web-1" is forbidden: User "system:serviceaccount:failureprophet:failureprophet" cannot delete resource "pods" in API group "" in the namespace "shop"',
      });
      expect(guarded.get('Pod', 'web-1', 'shop')).toBeDefined();
      expect(guarded.requests.map((r) => r.status)).toEqual([200, 403]);
    } finally {
      await guarded.close();
    }
  });

  it('holds a request until released, then handles it', async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    kube.inject({ method: 'PATCH', path: scalePath, hold: true, times: 1, sideEffect: () => arrived() });
    const pending = send('PATCH', scalePath, { spec: { replicas: 5 } }, 'application/merge-patch+json');
    await arrival;
    expect(kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(3);
    kube.release();
    expect((await pending).status).toBe(200);
    expect(kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(5);
  });

  it('parses request paths into the RBAC terms the API server authorizes', () => {
    expect(parsePath('POST', '/api/v1/namespaces/shop/pods/web-1/eviction')).toMatchObject({
      group: '',
      resource: 'pods',
      subresource: 'eviction',
      namespace: 'shop',
      name: 'web-1',
      verb: 'create',
    });
    expect(parsePath('GET', '/api/v1/pods')).toMatchObject({ resource: 'pods', verb: 'list', namespace: undefined });
  });
});
