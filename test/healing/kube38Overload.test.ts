// Requests kube-apiserver sheds under load: its max-in-flight and priority-and-fairness filters answer
// 429 in plain text with Retry-After: 1 before any handler runs (apiserver pkg/server/filters), so the
// request was not processed and client-go sends it again after the wait. So do we, on the injected clock.

import { executeKubeAction } from '../../src/server/kubernetes/actions';
import { Harness, startHarness } from '../kube/harness';
import { deployment, podDisruptionBudget, pod, node } from '../kube/objects';
import { drain } from '../../src/server/kubernetes/drain';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 2 }));
});
afterEach(() => h.kube.close());

const scaleCart = (dryRun = false) =>
  executeKubeAction(
    h.client,
    { type: 'scale', target: { kind: 'deployment', namespace: 'shop', name: 'cart' }, replicas: 3, ceiling: 5 },
    { dryRun }
  );

describe('a request the API server sheds with 429 and Retry-After', () => {
  it('is sent again after the wait it names, and the action goes through', async () => {
    h.kube.inject({ method: 'PATCH', path: /\/scale$/, status: 429, times: 2 });

    const outcome = await scaleCart();

    expect(outcome.ok).toBe(true);
    expect(h.kube.get('Deployment', 'cart', 'shop')!.spec?.replicas).toBe(3);
    expect(h.kube.writes().map((r) => r.status)).toEqual([429, 429, 200]);
    expect(h.clock.sleeps).toEqual([1000, 1000]);
  });

  it('its dry run too: a busy server does not fail the check an approval waits on', async () => {
    h.kube.inject({ method: 'GET', path: /\/scale$/, status: 429, times: 1 });

    const outcome = await scaleCart(true);

    expect(outcome.ok && outcome.value.summary).toBe('would scale deployment shop/cart: replicas 2 → 3');
  });

  it('a budget’s 429 on an eviction is not retried by the client: it carries a Status, the drain backs off', async () => {
    h.kube.add(
      node('n1'),
      node('n2'),
      pod({ namespace: 'shop', name: 'web-1', nodeName: 'n1', labels: { app: 'web' }, ownerKind: 'ReplicaSet' }),
      podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable: 1 })
    );

    const outcome = await drain(h.client, { node: 'n1', timeoutSeconds: 4, backoff: { initialMs: 1000, maxMs: 1000 } });

    expect(outcome.ok).toBe(false);
    const evictions = h.kube.requests.filter((r) => r.path.endsWith('/eviction'));
    // One eviction per round of the drain's own back-off, none sent again inside a request.
    expect(evictions.length).toBe(h.clock.sleeps.length + 1);
  });
});
