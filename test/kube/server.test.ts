// The test server's own contract: what a real API server would answer, checked with plain fetch.

import { daemonSet, deployment, node, pod, podDisruptionBudget, replicaSet, statefulSet } from './objects';
import { KubeTestServer, parsePath, startKubeTestServer } from './server';
import { sendJson } from './send';

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

const send = (method: string, path: string, body?: unknown, contentType?: string) =>
  sendJson(kube.url, method, path, body, contentType);
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
      expectedPods: 1,
      observedGeneration: 1,
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

describe('PodDisruptionBudget status, as the disruption controller computes it (pkg/controller/disruption)', () => {
  const budgetPath = (name: string) => `/apis/policy/v1/namespaces/shop/poddisruptionbudgets/${name}`;
  const evict = (name: string) =>
    send('POST', `/api/v1/namespaces/shop/pods/${name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: 'shop' },
    });
  // A Deployment of `replicas`, its ReplicaSet, and `pods` of its pods, linked by uid as the controllers link them.
  function rollout(replicas: number, pods: number, ready = pods) {
    const web = deployment({ namespace: 'shop', name: 'api', replicas, labels: { app: 'api' } });
    const rs = replicaSet({ namespace: 'shop', name: 'api-5f7c', replicas, labels: { app: 'api' }, deployment: web });
    kube.add(web, rs);
    for (let i = 1; i <= pods; i += 1) {
      kube.add(pod({ namespace: 'shop', name: `api-5f7c-${i}`, labels: { app: 'api' }, owner: rs, ready: i <= ready }));
    }
  }
  const budget = (spec: { minAvailable?: number | string; maxUnavailable?: number | string }) =>
    podDisruptionBudget({ namespace: 'shop', name: 'api', matchLabels: { app: 'api' }, ...spec });

  it('maxUnavailable: desiredHealthy is the Deployment’s replicas less it, and the budget blocks at 0', async () => {
    rollout(3, 3);
    kube.add(budget({ maxUnavailable: 1 }));
    expect((await send('GET', budgetPath('api'))).body.status).toMatchObject({
      expectedPods: 3,
      desiredHealthy: 2,
      currentHealthy: 3,
      disruptionsAllowed: 1,
    });
    kube.add(budget({ maxUnavailable: 0 }));
    expect(await evict('api-5f7c-1')).toMatchObject({
      status: 429,
      body: {
        details: { causes: [{ message: 'The disruption budget api needs 3 healthy pods and has 3 currently' }] },
      },
    });
    expect(kube.get('Pod', 'api-5f7c-1', 'shop')).toBeDefined();
  });

  it('counts the replicas the controllers want, not the pods that exist: a missing replica uses up maxUnavailable', async () => {
    rollout(4, 3);
    kube.add(budget({ maxUnavailable: 1 }));
    expect(kube.get('PodDisruptionBudget', 'api', 'shop')!.status).toMatchObject({
      expectedPods: 4,
      desiredHealthy: 3,
      currentHealthy: 3,
      disruptionsAllowed: 0,
    });
    expect((await evict('api-5f7c-2')).status).toBe(429);
  });

  it('takes percentages of the expected count, rounded up (intstr.GetScaledValueFromIntOrPercent)', async () => {
    rollout(3, 3);
    kube.add(budget({ maxUnavailable: '34%' }));
    // ceil(3 × 34%) = 2 may be unavailable: 1 must stay.
    expect(kube.get('PodDisruptionBudget', 'api', 'shop')!.status).toMatchObject({ desiredHealthy: 1 });
    kube.add(budget({ minAvailable: '50%' }));
    // ceil(3 × 50%) = 2 must stay.
    expect(kube.get('PodDisruptionBudget', 'api', 'shop')!.status).toMatchObject({
      desiredHealthy: 2,
      disruptionsAllowed: 1,
    });
    expect((await evict('api-5f7c-1')).status).toBe(201);
  });

  it("reads a StatefulSet's replicas, sums distinct controllers, and leaves pods without a controller out", async () => {
    const db = statefulSet({ namespace: 'shop', name: 'db', replicas: 2, labels: { tier: 'data' } });
    kube.add(
      db,
      pod({ namespace: 'shop', name: 'db-0', labels: { tier: 'data' }, owner: db }),
      pod({ namespace: 'shop', name: 'db-1', labels: { tier: 'data' }, owner: db }),
      pod({ namespace: 'shop', name: 'debug', labels: { tier: 'data' } }),
      podDisruptionBudget({ namespace: 'shop', name: 'data', matchLabels: { tier: 'data' }, maxUnavailable: '50%' })
    );
    expect(kube.get('PodDisruptionBudget', 'data', 'shop')!.status).toMatchObject({
      expectedPods: 2,
      desiredHealthy: 1,
      currentHealthy: 3,
      disruptionsAllowed: 2,
    });
  });

  it('refuses loudly where the controller could not know the expected count: an owner not stored, or without a scale', async () => {
    // web-1's ReplicaSet is not stored (the builder's ownerKind makes a reference nothing has).
    kube.add(podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, maxUnavailable: 1 }));
    const answer = await send('GET', budgetPath('web'));
    expect(answer).toMatchObject({ status: 500, body: { message: expect.stringContaining('found no controllers') } });
    expect((await evict('web-1')).status).toBe(500);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect(() => kube.get('PodDisruptionBudget', 'web', 'shop')).toThrow(/test server cannot compute/);
    kube.add(
      pod({ namespace: 'shop', name: 'agent-x', labels: { app: 'agent' }, ownerKind: 'DaemonSet' }),
      podDisruptionBudget({ namespace: 'shop', name: 'agent', matchLabels: { app: 'agent' }, minAvailable: '50%' })
    );
    expect(() => kube.get('PodDisruptionBudget', 'agent', 'shop')).toThrow(/scale subresource/);
  });

  it('refuses to store a budget the API server would not create (ValidatePodDisruptionBudgetSpec)', () => {
    expect(() => kube.add(budget({ minAvailable: 1, maxUnavailable: 1 }))).toThrow(/cannot be both set/);
    expect(() => kube.add(budget({ maxUnavailable: '150%' }))).toThrow(/greater than 100%/);
    expect(() => kube.add(budget({ maxUnavailable: '1' }))).toThrow(/integer or percentage/);
    expect(() =>
      kube.add(
        podDisruptionBudget({
          namespace: 'shop',
          name: 'x',
          matchExpressions: [{ key: 'app', operator: 'Like' as never, values: ['a'] }],
        })
      )
    ).toThrow(/not a valid pod selector operator/);
  });
});

describe('label selectors, as apimachinery matches them', () => {
  const evictionOf = (name: string) =>
    send('POST', `/api/v1/namespaces/shop/pods/${name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: 'shop' },
    });
  beforeEach(() => {
    kube.remove('PodDisruptionBudget', 'web', 'shop');
    kube.add(
      pod({ namespace: 'shop', name: 'web-2', labels: { app: 'web', tier: 'front' }, ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'shop', name: 'api-1', labels: { app: 'api', tier: 'back' }, ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'shop', name: 'job-1', labels: { batch: 'yes' }, ownerKind: 'Job' })
    );
  });
  const names = async (selector: string) => {
    const answer = await send('GET', `/api/v1/namespaces/shop/pods?labelSelector=${encodeURIComponent(selector)}`);
    expect(answer.status).toBe(200);
    return (answer.body.items as Array<{ metadata: { name: string } }>).map((p) => p.metadata.name).sort();
  };

  it('a budget with matchExpressions covers the pods they select (In, NotIn, Exists, DoesNotExist)', async () => {
    kube.add(
      podDisruptionBudget({
        namespace: 'shop',
        name: 'web',
        matchExpressions: [
          { key: 'app', operator: 'In', values: ['web', 'api'] },
          { key: 'tier', operator: 'NotIn', values: ['back'] },
          { key: 'batch', operator: 'DoesNotExist' },
        ],
        minAvailable: 2,
      })
    );
    expect(kube.get('PodDisruptionBudget', 'web', 'shop')!.status).toMatchObject({
      expectedPods: 2,
      currentHealthy: 2,
      disruptionsAllowed: 0,
    });
    expect((await evictionOf('web-2')).status).toBe(429);
    expect((await evictionOf('api-1')).status).toBe(201);
    kube.add(
      podDisruptionBudget({
        namespace: 'shop',
        name: 'batch',
        matchExpressions: [{ key: 'batch', operator: 'Exists' }],
        minAvailable: 1,
      })
    );
    expect((await evictionOf('job-1')).status).toBe(429);
  });

  it('a budget without a selector covers nothing; an empty selector covers every pod of its namespace (policy/v1)', async () => {
    kube.add(podDisruptionBudget({ namespace: 'shop', name: 'none', selector: null, minAvailable: 5 }));
    expect(kube.get('PodDisruptionBudget', 'none', 'shop')!.status).toMatchObject({ expectedPods: 0 });
    expect((await evictionOf('api-1')).status).toBe(201);
    kube.add(podDisruptionBudget({ namespace: 'shop', name: 'all', selector: {}, minAvailable: 3 }));
    expect(kube.get('PodDisruptionBudget', 'all', 'shop')!.status).toMatchObject({ expectedPods: 3 });
    expect((await evictionOf('web-2')).status).toBe(429);
  });

  it('lists by set-based selectors in the query syntax labels.Parse accepts', async () => {
    expect(await names('app in (web,api)')).toEqual(['api-1', 'web-1', 'web-2']);
    expect(await names('app notin (web)')).toEqual(['api-1', 'job-1']);
    expect(await names('tier')).toEqual(['api-1', 'web-2']);
    expect(await names('!tier')).toEqual(['job-1', 'web-1']);
    expect(await names('app=web,tier in (front)')).toEqual(['web-2']);
    expect(await names('app!=web')).toEqual(['api-1', 'job-1']);
    expect(await names(' app in ( web ) , !batch ')).toEqual(['web-1', 'web-2']);
  });

  it('answers a malformed selector with 400, as the list handler does', async () => {
    for (const selector of ['app in web', 'app in (web', 'app=web,', '=web', 'app in (web))', 'Bad Key=x', 'app=a b']) {
      const answer = await send('GET', `/api/v1/namespaces/shop/pods?labelSelector=${encodeURIComponent(selector)}`);
      expect([selector, answer.status, answer.body.reason]).toEqual([selector, 400, 'BadRequest']);
    }
    expect(
      (await send('GET', `/api/v1/namespaces/shop/pods?labelSelector=${encodeURIComponent('app in web')}`)).body.message
    ).toBe("unable to parse requirement: found 'web' expected: '('");
  });
});

describe('request bodies, as the API server decodes them', () => {
  const podPath = '/api/v1/namespaces/shop/pods/web-1';
  const eviction = (namespace?: string) => ({
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: 'web-1', ...(namespace === undefined ? {} : { namespace }) },
  });
  beforeEach(() => kube.remove('PodDisruptionBudget', 'web', 'shop'));

  it("refuses an eviction whose namespace is not the URL's (400), and takes an empty one as the URL's", async () => {
    const other = await send('POST', `${podPath}/eviction?dryRun=All`, eviction('other'));
    expect(other).toMatchObject({
      status: 400,
      body: {
        reason: 'BadRequest',
        message: 'the namespace of the provided object does not match the namespace sent on the request',
      },
    });
    expect((await send('POST', `${podPath}/eviction?dryRun=All`, eviction(''))).status).toBe(201);
    expect((await send('POST', `${podPath}/eviction?dryRun=All`, eviction())).status).toBe(201);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
  });

  it('answers a DELETE or POST body in a media type it does not decode with 415, before acting on it', async () => {
    const unknown = {
      status: 415,
      body: {
        reason: 'UnsupportedMediaType',
        message:
          'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      },
    };
    expect(await send('DELETE', podPath, { dryRun: ['All'] }, 'text/plain')).toMatchObject(unknown);
    expect(await send('DELETE', podPath, {}, 'text/plain')).toMatchObject(unknown);
    expect(await send('POST', `${podPath}/eviction`, eviction('shop'), 'text/plain')).toMatchObject(unknown);
    expect((await send('DELETE', podPath, {}, 'application/yaml')).status).toBe(415);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    // Parameters are cut, and a body without a Content-Type is JSON.
    expect((await send('DELETE', podPath, { dryRun: ['All'] }, 'application/json; charset=utf-8')).status).toBe(200);
    const bare = await fetch(kube.url + podPath, {
      method: 'DELETE',
      body: new TextEncoder().encode(JSON.stringify({ dryRun: ['All'] })),
    });
    expect(bare.status).toBe(200);
    expect(kube.get('Pod', 'web-1', 'shop')).toBeDefined();
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

describe('fieldValidation on PATCH, as handlers/patch.go decodes the patched object', () => {
  const cartPath = '/apis/apps/v1/namespaces/shop/deployments/cart';
  const patchWith = async (path: string, query: string, body: unknown, contentType: string) => {
    const response = await fetch(`${kube.url}${path}${query}`, {
      method: 'PATCH',
      headers: { 'Content-Type': contentType },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json(), warning: response.headers.get('warning') };
  };
  const merge = 'application/merge-patch+json';
  const smp = 'application/strategic-merge-patch+json';

  it('Strict: an unknown field is the 422 errors.NewInvalid makes, in the strict decoder’s words; nothing changes', async () => {
    const rv = kube.get('Deployment', 'cart', 'shop')?.metadata.resourceVersion;
    const scale = await patchWith(scalePath, '?fieldValidation=Strict', { spec: { replicaz: 5 } }, merge);
    expect(scale.status).toBe(422);
    expect(scale.body).toMatchObject({
      reason: 'Invalid',
      message: expect.stringMatching(
        /^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"autoscaling\/v1\\",.*\}": strict decoding error: unknown field "spec.replicaz"$/
      ),
      details: {
        causes: [
          {
            reason: 'FieldValueInvalid',
            field: 'patch',
            message: expect.stringContaining('strict decoding error: unknown field "spec.replicaz"'),
          },
        ],
      },
    });
    // The strategic merge path prints the patch map as Go does; the unknown fields sorted.
    const restart = await patchWith(
      cartPath,
      '?fieldValidation=Strict',
      { spec: { template: { metdata: { annotations: { a: 'b' } } } }, zeta: 1 },
      smp
    );
    expect(restart).toMatchObject({
      status: 422,
      body: {
        message:
          ' "" is invalid: patch: Invalid value: "map[spec:map[template:map[metdata:map[annotations:map[a:b]]]] zeta:1]": strict decoding error: unknown field "spec.template.metdata", unknown field "zeta"',
      },
    });
    expect(kube.get('Deployment', 'cart', 'shop')?.metadata.resourceVersion).toBe(rv);
  });

  it('Strict: the fields the actions patch pass, on every kind they patch', async () => {
    kube.add(
      statefulSet({ namespace: 'shop', name: 'db', replicas: 1 }),
      daemonSet({ namespace: 'shop', name: 'agent' }),
      node('n1')
    );
    const template = {
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'x' } } } },
    };
    for (const path of [
      cartPath,
      '/apis/apps/v1/namespaces/shop/statefulsets/db',
      '/apis/apps/v1/namespaces/shop/daemonsets/agent',
    ]) {
      expect((await patchWith(path, '?fieldValidation=Strict&dryRun=All', template, smp)).status).toBe(200);
    }
    expect(
      (await patchWith('/api/v1/nodes/n1', '?fieldValidation=Strict', { spec: { unschedulable: true } }, smp)).status
    ).toBe(200);
    expect(kube.get('Node', 'n1')?.spec).toEqual({ unschedulable: true });
    const rv = kube.get('Deployment', 'cart', 'shop')?.metadata.resourceVersion;
    const scaled = await patchWith(
      scalePath,
      '?fieldValidation=Strict',
      { metadata: { resourceVersion: rv }, spec: { replicas: 4 } },
      merge
    );
    expect(scaled).toMatchObject({ status: 200, body: { spec: { replicas: 4 } } });
  });

  it('Warn, and no fieldValidation at all, drop the unknown field with a Warning header; Ignore drops it silently', async () => {
    kube.add(node('n1'));
    for (const query of ['', '?fieldValidation=Warn']) {
      const warned = await patchWith('/api/v1/nodes/n1', query, { spec: { unschedulabel: true } }, smp);
      expect(warned).toMatchObject({ status: 200, warning: '299 - "unknown field \\"spec.unschedulabel\\""' });
      expect(kube.get('Node', 'n1')?.spec).toEqual({});
    }
    const ignored = await patchWith(
      '/api/v1/nodes/n1',
      '?fieldValidation=Ignore',
      { spec: { unschedulabel: true } },
      smp
    );
    expect(ignored).toMatchObject({ status: 200, warning: null });
    expect(kube.get('Node', 'n1')?.spec).toEqual({});
    expect(kube.requests.map((r) => r.warnings)).toEqual([
      ['unknown field "spec.unschedulabel"'],
      ['unknown field "spec.unschedulabel"'],
      [],
    ]);
  });

  it('a fieldValidation other than Ignore, Warn or Strict is 422 for PatchOptions, before the object is looked up', async () => {
    const answer = await patchWith(
      '/apis/apps/v1/namespaces/shop/deployments/nothere/scale',
      '?fieldValidation=strict',
      { spec: { replicas: 1 } },
      merge
    );
    expect(answer).toMatchObject({
      status: 422,
      body: {
        reason: 'Invalid',
        message:
          'PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
      },
    });
  });

  it('Strict where the test server does not know the fields is refused in its own words, not guessed', async () => {
    const answer = await patchWith(
      cartPath,
      '?fieldValidation=Strict',
      { spec: { template: { spec: { containers: [{ name: 'cart', imagePullPolicy: 'Always' }] } } } },
      smp
    );
    expect(answer).toMatchObject({
      status: 400,
      body: {
        message: expect.stringContaining(
          'the test server cannot check fieldValidation=Strict under spec.template.spec'
        ),
      },
    });
    const jsonPatch = await patchWith(
      cartPath,
      '?fieldValidation=Strict',
      [{ op: 'add', path: '/spec/strategy', value: { type: 'Recreate' } }],
      'application/json-patch+json'
    );
    expect(jsonPatch).toMatchObject({ status: 400, body: { message: expect.stringContaining('under spec.strategy') } });
  });
});
