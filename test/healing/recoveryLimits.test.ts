// An action a stopped process left executing, found not done, runs only if the limits and its policy,
// as they are now, still allow it: an Admin may have denied its namespace, lowered the replica
// ceiling or deleted its policy while no process ran it.

import { safetyLimitsSchema, type PolicyInput } from '../../src/contract/healing';
import { deployment } from '../kube/objects';
import { anomaly, policy, realWrites, setUp, Setup } from './setup';

let s: Setup;
afterEach(() => s.close());

const scaleOut: PolicyInput = { name: 'scale', action: { type: 'scale', delta: 2 }, gate: 'approve' };
const replicas = (namespace: string, name: string) => s.kube.get('Deployment', name, namespace)?.spec?.replicas;

/** Two scale-outs (shop/cart and web/big, 3 -> 5) claimed by a process that stopped before its PATCH. */
async function leftExecuting(): Promise<[number, number]> {
  s = await setUp({ policies: [scaleOut], limits: { replicaCeiling: 10 } });
  s.kube.add(deployment({ namespace: 'web', name: 'big', replicas: 3 }));
  const [cart] = await s.engine.onAnomaly(anomaly());
  const [big] = await s.engine.onAnomaly(
    anomaly({ labels: { namespace: 'web' }, object: { kind: 'deployment', namespace: 'web', name: 'big' } })
  );
  s.store.db
    .prepare(`UPDATE healing_actions SET state = 'executing', started_at = ? WHERE id IN (?, ?)`)
    .run(s.clock.now(), cart, big);
  return [cart, big];
}

it('is blocked, not run, in a namespace denied since, and past a ceiling lowered since', async () => {
  const [cart, big] = await leftExecuting();
  await s.engine.settings.setLimits(
    safetyLimitsSchema.parse({ replicaCeiling: 4, namespaces: { allow: ['*'], deny: ['kube-system', 'shop'] } }),
    'admin'
  );
  await s.engine.tick();
  await s.engine.idle();
  expect(await s.engine.actions.get(cart)).toMatchObject({ state: 'blocked', reason: { kind: 'namespace-denied' } });
  expect(await s.engine.actions.get(big)).toMatchObject({
    state: 'blocked',
    reason: {
      kind: 'replica-ceiling',
      message: 'deployment web/big would go to 5 replicas; the replica ceiling is now 4',
    },
  });
  expect(realWrites(s)).toHaveLength(0);
  expect([replicas('shop', 'cart'), replicas('web', 'big')]).toEqual([3, 3]);
});

it('is cancelled, not run, when its policy was deleted since; with the limits and the policy as they were, it runs', async () => {
  const [cart, big] = await leftExecuting();
  await s.engine.settings.setPolicies([policy({ ...scaleOut, match: { labels: { namespace: 'web' } } })], 'admin');
  await s.engine.tick();
  await s.engine.idle();
  expect(await s.engine.actions.get(cart)).toMatchObject({
    state: 'cancelled',
    reason: {
      kind: 'policy-changed',
      message: expect.stringMatching(/^policy scale no longer applies to the anomaly/),
    },
  });
  expect((await s.engine.actions.get(big))!.state).toBe('succeeded');
  expect([replicas('shop', 'cart'), replicas('web', 'big')]).toEqual([3, 5]);
});
