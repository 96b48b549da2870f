import { createServer } from 'node:net';
import { deployment, node } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { kubeClientFromOptions } from './client';
import { kubernetesOptionsSchema } from './config';
import { cordon } from './nodes';
import { admissionDenied } from '../../../test/kube/status';
import { restart, scale } from './workloads';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ requestTimeoutMs: 300 });
  h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }), node('n1'));
});
afterEach(() => h.kube.close());

const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;
const scaleCart = () => scale(h.client, { target: cart, replicas: 5, ceiling: 10 });
const errorOf = async (result: ReturnType<typeof scaleCart>) => {
  const r = await result;
  if (r.ok) {
    throw new Error('expected a failure');
  }
  return r.error;
};

describe('errors an operator can read', () => {
  it('401: the credentials were rejected', async () => {
    h.kube.inject({ path: /scale$/, status: 401 });
    expect(await errorOf(scaleCart())).toMatchObject({
      kind: 'unauthorized',
      status: 401,
      message: `Kubernetes at ${h.kube.url} rejected the credentials (401 Unauthorized): check the service account token, FP_KUBE_TOKEN or the kubeconfig user`,
    });
  });

  it('401 from a real token check', async () => {
    const wrong = kubeClientFromOptions(
      kubernetesOptionsSchema.parse({ mode: 'endpoint', url: h.kube.url, token: 'stale' })
    );
    const result = await scale(wrong, { target: cart, replicas: 5, ceiling: 10 });
    expect(!result.ok && result.error.kind).toBe('unauthorized');
  });

  it('403: names the verb, resource, group and namespace RBAC refused, from the Status message', async () => {
    h.kube.inject({ method: 'PATCH', path: /scale$/, status: 403 });
    expect(await errorOf(scaleCart())).toMatchObject({
      kind: 'forbidden',
      status: 403,
      reason: 'Forbidden',
      forbidden: {
        user: 'system:serviceaccount:failureprophet:failureprophet',
        verb: 'patch',
        resource: 'deployments/scale',
        group: 'apps',
        namespace: 'shop',
      },
      message:
        'Kubernetes refused: the service account system:serviceaccount:failureprophet:failureprophet cannot patch deployments/scale (API group apps) in namespace shop; grant it in deploy/rbac.yaml',
    });
  });

  it('403 at cluster scope (nodes)', async () => {
    h.kube.inject({ method: 'PATCH', path: '/api/v1/nodes/n1', status: 403 });
    const result = await cordon(h.client, { node: 'n1' });
    expect(!result.ok && result.error.message).toBe(
      'Kubernetes refused: the service account system:serviceaccount:failureprophet:failureprophet cannot patch nodes at cluster scope; grant it in deploy/rbac.yaml'
    );
  });

  it('403 from an admission policy: quotes the server and claims no RBAC', async () => {
    const denial = admissionDenied(
      { group: 'apps', resource: 'deployments', namespace: 'shop', name: 'cart' },
      'failureprophet-healing-changes',
      'failureprophet-healing-changes',
      'failureprophet may only restart (restartedAt), scale, cordon, uncordon, evict or delete a pod'
    );
    h.kube.inject({ method: 'PATCH', path: /cart$/, status: 403, body: denial });
    const result = await restart(h.client, { target: cart });
    expect(!result.ok && result.error).not.toHaveProperty('forbidden');
    expect(!result.ok && result.error).toEqual(
      expect.objectContaining({
        kind: 'forbidden',
        status: 403,
        message:
          "Kubernetes refused patch deployments shop/cart: deployments.apps \"cart\" is forbidden: ValidatingAdmissionPolicy 'failureprophet-healing-changes' with binding 'failureprophet-healing-changes' denied request: failureprophet may only restart (restartedAt), scale, cordon, uncordon, evict or delete a pod",
      })
    );
  });

  it('404: says which object', async () => {
    const result = await scale(h.client, { target: { ...cart, name: 'basket' }, replicas: 5, ceiling: 10 });
    expect(!result.ok && result.error).toMatchObject({
      kind: 'not-found',
      status: 404,
      message: 'Kubernetes has no deployments/scale shop/basket',
    });
  });

  it('409 repeated: retried with fresh reads, then reported', async () => {
    h.kube.inject({ method: 'PATCH', path: /scale$/, status: 409 });
    const error = await errorOf(scaleCart());
    expect(error).toMatchObject({
      kind: 'conflict',
      status: 409,
      message: 'deployment shop/cart kept changing while we scaled it (3 conflicts in a row); try again',
    });
    expect(h.kube.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('422: names the field the API server rejected', async () => {
    h.kube.inject({ method: 'PATCH', path: /scale$/, status: 422 });
    expect(await errorOf(scaleCart())).toMatchObject({
      kind: 'invalid',
      field: 'spec.replicas',
      message:
        'Kubernetes rejected spec.replicas of deployments/scale shop/cart: Invalid value: -1: must be greater than or equal to 0',
    });
  });

  it('429 and 5xx', async () => {
    // Shed as often as the client tries (overload.ts): what is left is the filter's own words.
    h.kube.inject({ method: 'PATCH', path: /scale$/, status: 429, times: 3 });
    expect(await errorOf(scaleCart())).toMatchObject({
      kind: 'too-many-requests',
      message:
        'Kubernetes turned away patch deployments/scale shop/cart for now: Too many requests, please try again later.',
    });
    h.kube.inject({ method: 'PATCH', path: /scale$/, status: 500, times: 1 });
    expect(await errorOf(scaleCart())).toMatchObject({
      kind: 'server-error',
      status: 500,
      message:
        'The Kubernetes API server failed (500) on patch deployments/scale shop/cart: Internal error occurred: etcdserver: request timed out',
    });
    h.kube.inject({ method: 'PATCH', path: /scale$/, status: 503, times: 1 });
    expect((await errorOf(scaleCart())).kind).toBe('server-error');
    h.kube.inject({ method: 'PATCH', path: /scale$/, status: 504, times: 1 });
    expect((await errorOf(scaleCart())).kind).toBe('timeout');
  });

  it('a request with no answer in time is a timeout, not a hang', async () => {
    // The server holds the request; meanwhile the client's clock passes the timeout (no real wait).
    h.kube.inject({ method: 'GET', path: /scale$/, hold: true, times: 1, sideEffect: () => h.clock.advance(300) });
    expect(await errorOf(scaleCart())).toMatchObject({
      kind: 'timeout',
      message: `No answer from Kubernetes at ${h.kube.url} within 300 ms to get deployments/scale shop/cart`,
    });
  });

  it('a slow answer within the timeout is not a timeout', async () => {
    h.kube.inject({
      method: 'GET',
      path: /scale$/,
      hold: true,
      times: 1,
      sideEffect: () => {
        h.clock.advance(299);
        setImmediate(() => h.kube.release());
      },
    });
    expect((await scaleCart()).ok).toBe(true);
  });

  it('connection refused', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${closed}`;
    const client = kubeClientFromOptions(kubernetesOptionsSchema.parse({ mode: 'endpoint', url, token: 't' }));
    const result = await scale(client, { target: cart, replicas: 5, ceiling: 10 });
    expect(!result.ok && result.error).toMatchObject({
      kind: 'unreachable',
      message: `Cannot reach Kubernetes at ${url} (ECONNREFUSED)`,
    });
  });

  it('a merge body sent as a JSON Patch would be a 400: the server tells them apart', async () => {
    const response = await fetch(`${h.kube.url}/apis/apps/v1/namespaces/shop/deployments/cart/scale`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json', Authorization: 'Bearer test-token' },
      body: JSON.stringify({ spec: { replicas: 4 } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      kind: 'Status',
      message: expect.stringContaining('[]handlers.jsonPatchOp'),
    });
  });
});
