import type { AlertmanagerWebhook } from '../../src/contract/healing';
import { healingRoutes } from '../../src/server/http/routes/healing';
import type { App } from '../../src/server/http/server';
import { AUTH, injectingApp } from '../harness/server';
import { pod } from '../kube/objects';
import { setUp, Setup } from './setup';

// Whoever holds the alert-intake token, or writes an alerting rule over labels a scraped target set
// itself, chooses the names an action acts on. A pod named ".." reached the API path as
// DELETE /api/v1/namespaces/shop: the namespace, not a pod (src/server/kubernetes/names.test.ts).
let s: Setup;
let app: App;
beforeEach(async () => {
  s = await setUp({
    policies: [
      {
        name: 'crashloop',
        match: { alertLabels: { alertname: 'KubePodCrashLooping' } },
        action: { type: 'delete-pod' },
        gate: 'auto',
      },
    ],
  });
  s.kube.add(pod({ namespace: 'shop', name: 'cart-1', ownerKind: 'ReplicaSet' }));
  app = await injectingApp(s, healingRoutes(s.engine));
});
afterEach(async () => {
  await app.close();
  await s.close();
});

const firing = (pod: string, severity = 'warning') => ({
  status: 'firing' as const,
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod, severity },
  annotations: {},
  startsAt: '2025-06-01T11:50:00.000Z',
});
const crashLooping = (pod: string): AlertmanagerWebhook => ({ status: 'firing', alerts: [firing(pod)] });

it.each(['..', '.', 'cart-1/..', 'Cart-1', 'cart-1 '])(
  'an alert naming pod %j proposes nothing and sends nothing to Kubernetes',
  async (name) => {
    const res = await app.inject({ method: 'POST', url: '/api/alerts', payload: crashLooping(name), headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ firing: 1, resolved: 0, proposed: [] });
    await s.engine.idle();
    expect(s.kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(s.kube.get('Pod', 'cart-1', 'shop')).toBeDefined();
  }
);

it('the same alert naming a real pod deletes that pod, and only it', async () => {
  const res = await app.inject({ method: 'POST', url: '/api/alerts', payload: crashLooping('cart-1'), headers: AUTH });
  expect(res.json().proposed).toEqual([1]);
  await s.engine.idle();
  expect(s.kube.realWrites().map((r) => `${r.method} ${r.path}`)).toEqual([
    'DELETE /api/v1/namespaces/shop/pods/cart-1',
  ]);
});

it("one rule's odd severity label does not fail the webhook for the other alerts of its group", async () => {
  // Any rule author (a PrometheusRule in a tenant's namespace) picks the label; Alertmanager sends
  // a group in one webhook and repeats it whole after a 500, so the other alerts never got through.
  s.kube.add(pod({ namespace: 'shop', name: 'cart-2', ownerKind: 'ReplicaSet' }));
  const payload: AlertmanagerWebhook = {
    status: 'firing',
    alerts: [firing('cart-1', 'constructor'), firing('cart-2', 'toString')],
  };
  const res = await app.inject({ method: 'POST', url: '/api/alerts', payload, headers: AUTH });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({ firing: 2, resolved: 0, proposed: [1, 2] });
  expect((await s.engine.actions.get(1))!.trigger.severity).toBe('medium');
});

it('an alert with a label named __proto__ does not fail the webhook for its group', async () => {
  // A valid Prometheus label name; Alertmanager's API takes it from anyone who can post alerts and
  // puts the alert in the group its alertname and namespace pick. Refusing the body (400) dropped the
  // whole group's notification, which Alertmanager does not send again for a 4xx.
  const body = JSON.stringify({ status: 'firing', alerts: [firing('cart-1'), firing('cart-2')] }).replace(
    '"labels":{"alertname":"KubePodCrashLooping","namespace":"shop","pod":"cart-2"',
    '"labels":{"__proto__":"x","alertname":"KubePodCrashLooping","namespace":"shop","pod":"cart-2"'
  );
  expect(body).toContain('"__proto__":"x"');
  const res = await app.inject({
    method: 'POST',
    url: '/api/alerts',
    payload: body,
    headers: { ...AUTH, 'content-type': 'application/json' },
  });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({ firing: 2, resolved: 0, proposed: [1, 2] });
  expect((await s.engine.actions.get(1))!.target).toBe('pod shop/cart-1');
  // The key is dropped, the alert's other labels kept.
  expect((await s.engine.actions.get(2))!.trigger.labels).toEqual(firing('cart-2').labels);
});

it("a fingerprint with '#', which could name an action's archived trigger key, is a 400 naming it", async () => {
  const { startsAt, ...unstarted } = firing('cart-1');
  // The trigger key `alert:<fp>@<start>` of the alert below, plus the suffix the store archives it under.
  const forged = `a1b2c3d4e5f60718@${startsAt}#superseded-1`;
  const refused = await app.inject({
    method: 'POST',
    url: '/api/alerts',
    payload: { status: 'firing', alerts: [{ ...unstarted, fingerprint: forged }] },
    headers: AUTH,
  });
  expect(refused.statusCode).toBe(400);
  expect(refused.json()).toEqual({
    error: 'bad_request',
    field: 'body.alerts.0.fingerprint',
    message:
      "body.alerts.0.fingerprint: must not contain '#' (Alertmanager's and Grafana's fingerprints are hex digits)",
  });
  expect(await s.engine.actions.get(1)).toBeUndefined();

  // Alertmanager's and Grafana's own are taken, as is an alert without one (derived from its labels).
  const payload: AlertmanagerWebhook = {
    status: 'firing',
    alerts: [{ ...firing('cart-1'), fingerprint: 'a1b2c3d4e5f60718' }, firing('cart-2')],
  };
  const taken = await app.inject({ method: 'POST', url: '/api/alerts', payload, headers: AUTH });
  expect(taken.statusCode).toBe(200);
  expect(taken.json()).toMatchObject({ firing: 2, proposed: [1, 2] });
});

it('a fingerprint too long for an alert id is a 400 naming it, not a 500 that Alertmanager repeats', async () => {
  const payload: AlertmanagerWebhook = {
    status: 'firing',
    alerts: [{ ...firing('cart-1'), fingerprint: 'f'.repeat(600) }],
  };
  const res = await app.inject({ method: 'POST', url: '/api/alerts', payload, headers: AUTH });
  expect(res.statusCode).toBe(400);
  expect(res.json().field).toBe('body.alerts.0.fingerprint');
  expect(s.kube.requests).toEqual([]);
});
