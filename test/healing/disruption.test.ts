// Issue 17, item 3: percentage and healthy-floor limits, counted from the Ready conditions the
// API server reports for pods and nodes.

import { safetyLimitsSchema } from '../../src/contract/healing';
import { deployment, node, pod, replicaSet } from '../kube/objects';
import { anomaly, realWrites, setUp, Setup, drainInTurn } from './setup';

let s: Setup;
afterEach(() => s.close());

const noOtherLimits = { cooldownSeconds: 0, maxActionsPerHour: 1000, maxActionsPerHourPerNamespace: 1000 };

/** A Deployment `web` with its ReplicaSet and `replicas` Ready pods, as the API server would list them. */
function webDeployment(replicas: number) {
  s.kube.add(
    deployment({ namespace: 'shop', name: 'web', replicas, labels: { app: 'web' } }),
    replicaSet({ namespace: 'shop', name: 'web-5f7c', replicas, labels: { app: 'web' }, deployment: 'web' })
  );
  for (let i = 0; i < replicas; i++) {
    s.kube.add(webPod(`web-5f7c-${i}`));
  }
}
const webPod = (name: string, ready = true) =>
  pod({ namespace: 'shop', name, labels: { app: 'web' }, ownerKind: 'ReplicaSet', ownerName: 'web-5f7c', ready });
const webPods = () => s.kube.list('Pod').filter((p) => p.metadata.labels?.app === 'web');
const readyWebPods = () =>
  webPods().filter((p) =>
    (p.status?.conditions as Array<{ type: string; status: string }>).some(
      (c) => c.type === 'Ready' && c.status === 'True'
    )
  ).length;
const podAnomaly = (name: string) => anomaly({ object: { kind: 'pod', namespace: 'shop', name } });
const waits = async () =>
  (await s.engine.audit.list({ kind: ['waiting'], limit: 500, offset: 0, format: 'json' })).items.map((e) => e.message);

it('a 30% cap on a 10-replica deployment is never exceeded while 20 anomalies arrive', async () => {
  s = await setUp({
    policies: [{ name: 'kill', action: { type: 'delete-pod' }, gate: 'auto' }],
    limits: { ...noOtherLimits, workloadDisruption: { maxUnavailablePercent: 30 } },
  });
  webDeployment(10);
  // At every real delete: how many of the 10 replicas are down once it lands.
  let worst = 0;
  s.kube.inject({
    method: 'DELETE',
    path: /^\/api\/v1\/namespaces\/shop\/pods\/web-/,
    match: (r) => !r.dryRun,
    sideEffect: () => {
      worst = Math.max(worst, 10 - (readyWebPods() - 1));
    },
  });
  let replaced = 0;
  for (let burst = 0; burst < 4; burst++) {
    // Five anomalies at once, on five different pods of the deployment.
    const names = webPods()
      .map((p) => p.metadata.name)
      .slice(0, 5);
    await Promise.all(names.map((name) => s.engine.onAnomaly(podAnomaly(name))));
    await s.engine.idle();
    // The ReplicaSet controller brings the replicas back, Ready, before the next burst.
    while (webPods().length < 10) {
      s.kube.add(webPod(`web-5f7c-r${replaced++}`));
    }
    await s.engine.tick();
    await s.engine.idle();
  }
  const deletes = realWrites(s).filter((r) => r.method === 'DELETE');
  expect(worst).toBeGreaterThan(0);
  expect(worst).toBeLessThanOrEqual(3);
  // The cap paces the deletes, it does not stop them: more than three ran over the four bursts.
  expect(deletes.length).toBeGreaterThan(3);
  expect(await waits()).toContain(
    'waiting: 3 of 10 replicas of deployment shop/web are not Ready; at most 30% (3) at a time'
  );
}, 60_000);

it('never below the healthy floor, while a pod that is not Ready may always go', async () => {
  s = await setUp({
    policies: [{ name: 'kill', action: { type: 'delete-pod' }, gate: 'auto' }],
    limits: { ...noOtherLimits, workloadDisruption: { minHealthyPercent: 80 } },
  });
  webDeployment(5);
  s.kube.add(webPod('web-5f7c-4', false));
  const run = async (name: string) => {
    const [id] = await s.engine.onAnomaly(podAnomaly(name));
    await s.engine.idle();
    return (await s.engine.actions.get(id))!;
  };
  // 4 of 5 Ready, the floor is 4: the unready pod costs nothing, a Ready one would break the floor.
  expect((await run('web-5f7c-4')).state).toBe('succeeded');
  expect(await run('web-5f7c-0')).toMatchObject({
    state: 'approved',
    reason: {
      kind: 'workload-disruption',
      message:
        'waiting: deployment shop/web has 4 of 5 replicas Ready; this would leave 3, below its healthy floor of 80% (4)',
    },
  });
  expect(s.kube.get('Pod', 'web-5f7c-0', 'shop')).toBeDefined();
});

it('a scale-in takes its removed pods from the workload limits, as a restart or a delete would', async () => {
  s = await setUp({
    policies: [{ name: 'shrink', action: { type: 'scale', delta: -2 }, gate: 'auto' }],
    limits: { ...noOtherLimits, workloadDisruption: { minHealthyPercent: 80 } },
  });
  webDeployment(5);
  const web = { kind: 'deployment', namespace: 'shop', name: 'web' } as const;
  const [id] = await s.engine.onAnomaly(anomaly({ object: web }));
  await s.engine.idle();
  // 5 of 5 Ready, the floor is 4: removing two Ready pods would leave 3.
  expect(await s.engine.actions.get(id)).toMatchObject({
    state: 'approved',
    reason: {
      kind: 'workload-disruption',
      message:
        'waiting: deployment shop/web has 5 of 5 replicas Ready; this would leave 3, below its healthy floor of 80% (4)',
    },
  });
  expect(s.kube.get('Deployment', 'web', 'shop')!.spec!.replicas).toBe(5);
  expect(realWrites(s)).toEqual([]);
  // The floor lowered to 60% (3): two may go, and the scale-in runs at the next tick.
  await s.engine.settings.setLimits(
    safetyLimitsSchema.parse({ ...noOtherLimits, workloadDisruption: { minHealthyPercent: 60 } }),
    'admin'
  );
  await s.engine.tick();
  await s.engine.idle();
  expect((await s.engine.actions.get(id))!.state).toBe('succeeded');
  expect(s.kube.get('Deployment', 'web', 'shop')!.spec!.replicas).toBe(3);
});

it('a scale-in is capped by maxUnavailablePercent by the pods it removes at once', async () => {
  s = await setUp({
    policies: [{ name: 'shrink', action: { type: 'scale', replicas: 6 }, gate: 'auto' }],
    limits: { ...noOtherLimits, workloadDisruption: { maxUnavailablePercent: 30 } },
  });
  webDeployment(10);
  const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'deployment', namespace: 'shop', name: 'web' } }));
  await s.engine.idle();
  expect(await s.engine.actions.get(id)).toMatchObject({
    state: 'approved',
    reason: {
      kind: 'workload-disruption',
      message:
        'waiting: 0 of 10 replicas of deployment shop/web are not Ready and this would take 4 Ready pods down; at most 30% (3) at a time',
    },
  });
  expect(s.kube.get('Deployment', 'web', 'shop')!.spec!.replicas).toBe(10);
  expect(realWrites(s)).toEqual([]);
});

it('nodes: at most the share given cordoned or draining, never below 51% Ready and schedulable', async () => {
  s = await setUp({
    policies: [{ name: 'drain', action: { type: 'drain' }, gate: 'approve' }],
    limits: { ...noOtherLimits, nodeDisruption: { maxPercent: 40, minReadyPercent: 51 } },
  });
  // With the three spares: six nodes, one of them NotReady. The floor is 4 (51% of 6, rounded up).
  s.kube.add(node('n1'), node('n2'), node('sick', false, false));
  const [first, second] = await drainInTurn(s, 'n1', 'n2');
  expect((await s.engine.actions.get(first))!.state).toBe('succeeded');
  // The budget (40% of 6: 2 nodes) has room; the floor has not: n2 would leave 3 Ready of 6.
  expect(await s.engine.actions.get(second)).toMatchObject({
    state: 'approved',
    reason: {
      kind: 'node-budget',
      message: 'waiting: 4 of 6 nodes are Ready and schedulable; taking node n2 out would leave 3, below 51% (4)',
    },
  });
  expect(s.kube.get('Node', 'n2')!.spec!.unschedulable).toBeUndefined();
  // The sick node recovers: the floor holds again and the drain runs.
  s.kube.add(node('sick'));
  await s.engine.tick();
  await s.engine.idle();
  expect((await s.engine.actions.get(second))!.state).toBe('succeeded');
});
