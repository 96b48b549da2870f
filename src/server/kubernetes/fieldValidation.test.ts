// What the actions send so that a mistake in what they send fails loudly: every PATCH asks for
// fieldValidation=Strict, so a misspelt field is the API server's 422 instead of being dropped with a
// warning (the default, Warn) while the action reports success; and a dry run an admission webhook
// cannot take says so, instead of blaming our request.

import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { dryRunAction } from '../healing/dryRun';
import { EVERY_ACTION, everyActionObjects } from '../../../test/kube/everyAction';
import { Harness, startHarness } from '../../../test/kube/harness';
import { dryRunUnsupported } from '../../../test/kube/status';
import { executeKubeAction, type KubeAction } from './actions';
import { cordon } from './nodes';
import { restart, RESTARTED_AT, scale } from './workloads';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(...everyActionObjects());
});
afterEach(() => h.kube.close());

const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;
const patches = () => h.kube.requests.filter((r) => r.method === 'PATCH');

/** The next call of `method` sends `misspell(body)` instead of the body the action built: a typo in our code. */
function misspell<A extends AppsV1Api | CoreV1Api>(
  api: A,
  method: keyof A & string,
  misspelt: (body: object) => object
) {
  const original = (api[method] as (p: { body: object }, o: unknown) => Promise<unknown>).bind(api);
  return jest
    .spyOn(api, method as never)
    .mockImplementationOnce(((p: { body: object }, o: unknown) =>
      original({ ...p, body: misspelt(p.body) }, o)) as never);
}

describe('fieldValidation=Strict on every patch', () => {
  it('is on every PATCH of every action, its dry run included', async () => {
    for (const action of EVERY_ACTION) {
      const dry = await executeKubeAction(h.client, action as KubeAction, { dryRun: true });
      expect(dry.ok).toBe(true);
      const done = await executeKubeAction(h.client, action as KubeAction);
      expect(done.ok).toBe(true);
    }
    // scale ×2, restart ×3, cordon, uncordon, drain's cordon, uncordon: each dry-run and real.
    expect(patches().length).toBeGreaterThanOrEqual(16);
    expect(patches().filter((r) => r.query.fieldValidation !== 'Strict')).toEqual([]);
    expect(h.kube.requests.flatMap((r) => r.warnings)).toEqual([]);
  });

  it('a misspelt restart fails with the API server’s words and changes nothing, instead of reporting a restart', async () => {
    misspell(h.client.apps, 'patchNamespacedDeployment', () => ({
      spec: { template: { metdata: { annotations: { [RESTARTED_AT]: 'now' } } } },
    }));
    const result = await restart(h.client, { target: cart });
    expect(!result.ok && result.error).toEqual({
      kind: 'invalid',
      status: 422,
      reason: 'Invalid',
      field: 'patch',
      request: expect.objectContaining({ verb: 'patch', resource: 'deployments' }),
      causes: [expect.stringContaining('strict decoding error: unknown field "spec.template.metdata"')],
      message:
        'Kubernetes refused patch deployments shop/cart: strict decoding error: unknown field "spec.template.metdata": our request named a field the API server does not have (a bug on our side); nothing was changed',
    });
    const template = h.kube.get('Deployment', 'cart', 'shop')?.spec?.template as {
      metadata: { annotations: Record<string, string> };
    };
    expect(template.metadata.annotations[RESTARTED_AT]).toBeUndefined();
    expect(h.kube.realWrites().filter((r) => r.status === 200)).toEqual([]);
  });

  it('a misspelt scale or cordon fails too, dry run or not', async () => {
    misspell(h.client.apps, 'patchNamespacedDeploymentScale', (body) => ({ ...body, spec: { replicaz: 3 } }));
    const scaled = await scale(h.client, { target: cart, replicas: 3, ceiling: 5, dryRun: true });
    expect(!scaled.ok && scaled.error).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('strict decoding error: unknown field "spec.replicaz"'),
    });
    misspell(h.client.core, 'patchNode', () => ({ spec: { unschedulabel: true } }));
    const cordoned = await cordon(h.client, { node: 'n2' });
    expect(!cordoned.ok && cordoned.error).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('strict decoding error: unknown field "spec.unschedulabel"'),
    });
    expect(h.kube.get('Node', 'n2', undefined)?.spec).toEqual({});
    expect(h.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas).toBe(2);
  });
});

describe('a dry run an admission webhook does not support', () => {
  it('says which webhook, what the cluster admin can do, and that the action was not run', async () => {
    h.kube.inject({
      method: 'PATCH',
      path: /\/scale$/,
      match: (r) => r.dryRun,
      status: 400,
      body: dryRunUnsupported('quota.example.com'),
    });
    const dry = await dryRunAction(EVERY_ACTION[0], 'deployment shop/cart', 0, h.client);
    expect(dry.record).toMatchObject({
      ok: false,
      error: {
        kind: 'kubernetes',
        errorKind: 'bad-request',
        status: 400,
        message:
          'Kubernetes could not dry-run patch deployments/scale shop/cart: admission webhook "quota.example.com" does not support dry run (its sideEffects is neither None nor NoneOnDryRun), so the server cannot check the action without running it; a cluster admin should mark the webhook sideEffects: None, or NoneOnDryRun if it skips its side effects on a dry run. The action was not run',
      },
    });
    expect(dry.record.error?.message).not.toMatch(/could not accept/);
    expect(h.kube.realWrites()).toEqual([]);
  });

  it('is told apart from another 400, which stays a bad request in the server’s words', async () => {
    h.kube.inject({ method: 'PATCH', path: /\/scale$/, status: 400 });
    const result = await scale(h.client, { target: cart, replicas: 3, ceiling: 5, dryRun: true });
    expect(!result.ok && result.error).toMatchObject({
      kind: 'bad-request',
      message: 'Kubernetes could not accept patch deployments/scale shop/cart (400): injected error',
    });
    expect(!result.ok && result.error.webhook).toBeUndefined();
  });
});
