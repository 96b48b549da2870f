// deploy/rbac.yaml against what the code really sends, in both variants (cluster-wide, and the
// namespaced one its comment describes): every action, its dry run and its reconcile, and the
// leader election on its Lease and the watch-sharing member Leases, run against a test server that enforces the file's RBAC, nothing
// is refused, and what was granted is exactly what was used.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { safetyLimitsSchema } from '../../src/contract/healing';
import { KubeMembership } from '../../src/server/coordination/kubeMembers';
import { LEASE_NAME, LeaseElector } from '../../src/server/coordination/lease';
import { checkWorkload, readNodes } from '../../src/server/healing/disruption';
import { dryRunAction, testKubernetes } from '../../src/server/healing/dryRun';
import { executeKubeAction, type KubeAction } from '../../src/server/kubernetes';
import { reconcile } from '../../src/server/kubernetes/reconcile';
import { EVERY_ACTION, everyActionObjects } from './everyAction';
import { Harness, startHarness } from './harness';
import { deployment, replicaSet } from './objects';
import { rbacFor } from './rbac';
import { parsePath } from './server';

const deploy = (file: string) => readFileSync(join(__dirname, '../../deploy', file), 'utf8');
const documents = parseAllDocuments(deploy('rbac.yaml')).map((d) => d.toJS());
const account = parseAllDocuments(deploy('serviceaccount.yaml'))
  .map((d) => d.toJS())
  .find((d) => d.kind === 'ServiceAccount').metadata;

/** The namespaced variant, made the way the comment in deploy/rbac.yaml tells an operator to. */
function namespacedVariant(namespaces: string[]) {
  const lines = deploy('rbac.yaml').split('\n');
  const start = lines.findIndex((l) => l.startsWith('#   apiVersion:'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('#   '));
  const template = parse(
    lines
      .slice(start, end)
      .map((l) => l.slice(4))
      .join('\n')
  );
  expect(template.kind).toBe('RoleBinding');
  return [
    ...documents.filter((d) => !(d.kind === 'ClusterRoleBinding' && d.roleRef.name === template.roleRef.name)),
    ...namespaces.map((namespace) => ({ ...template, metadata: { ...template.metadata, namespace } })),
  ];
}

const cart = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;

/** Every Kubernetes request the healing code makes: each action's dry run (pinning it), the action, its reconcile; the connection test. */
async function runEverything(h: Harness) {
  h.kube.add(...everyActionObjects(), replicaSet({ namespace: 'shop', name: 'cart', replicas: 2, deployment: 'cart' }));
  h.kube.setPodTerminationReads(1);
  const failures: string[] = [];
  // The limits' reads: a workload's Ready pods (for a pod, through its ReplicaSet) and the nodes.
  const limits = safetyLimitsSchema.parse({ workloadDisruption: { minHealthyPercent: 0 } });
  for (const action of [
    { type: 'restart', target: cart },
    { type: 'delete-pod', namespace: 'shop', name: 'cart-1' },
  ] as const) {
    const refused = await checkWorkload(h.client, action, limits);
    if (refused) {
      failures.push(`workload limits for ${action.type}: ${refused.message}`);
    }
  }
  const nodes = await readNodes(h.client);
  if ('refusal' in nodes) {
    failures.push(`node limits: ${nodes.refusal.message}`);
  }
  for (const action of EVERY_ACTION) {
    const dry = await dryRunAction(action, 'target', 0, h.client);
    if (dry.record.error) {
      failures.push(`dry run of ${action.type}: ${dry.record.error.message}`);
      continue;
    }
    const pinned = (dry.pinned ?? action) as KubeAction;
    const done = await executeKubeAction(h.client, pinned);
    if (!done.ok) {
      failures.push(`${action.type}: ${done.error.message}`);
    }
    const seen = await reconcile(h.client, pinned);
    if (!seen.ok) {
      failures.push(`reconcile of ${action.type}: ${seen.error.message}`);
    }
  }
  const connection = await testKubernetes(h.client);
  if (!connection.ok) {
    failures.push(`connection test: ${connection.message}`);
  }
  // Leader election in the backend's own namespace: create the Lease, renew it, release it.
  const elector = new LeaseElector({
    client: h.client,
    namespace: account.namespace,
    name: LEASE_NAME,
    identity: 'pod-a',
    leaseDurationSeconds: 15,
    renewDeadlineMs: 10_000,
  });
  for (const round of ['create', 'renew']) {
    if (!(await elector.campaign())) {
      failures.push(`lease ${round}: ${elector.lastError()}`);
    }
  }
  await elector.release();
  if (elector.lastError()) {
    failures.push(`lease release: ${elector.lastError()}`);
  }
  // Watch sharing: announce this replica's member Lease, list the others, renew it, delete it on stop.
  const member = new KubeMembership({
    client: h.client,
    namespace: account.namespace,
    prefix: LEASE_NAME,
    identity: 'pod-a',
    leaseDurationSeconds: 15,
  });
  for (const round of ['create', 'renew']) {
    await member.heartbeat();
    if (member.lastError()) {
      failures.push(`member lease ${round}: ${member.lastError()}`);
    }
  }
  await member.leave();
  if (member.lastError()) {
    failures.push(`member lease delete: ${member.lastError()}`);
  }
  return failures;
}

const used = (h: Harness) =>
  new Set(
    h.kube.requests.map((r) => {
      const route = parsePath(r.method, r.path)!;
      return `${route.group}|${route.subresource ? `${route.resource}/${route.subresource}` : route.resource}|${route.verb}`;
    })
  );

describe.each([
  ['cluster-wide', documents],
  ['namespaced (RoleBinding in shop only)', namespacedVariant(['shop'])],
])('deploy/rbac.yaml, %s', (_variant, variant) => {
  let h: Harness;
  const rbac = rbacFor(variant, account);
  beforeEach(async () => {
    h = await startHarness({ authorize: rbac.authorize });
  });
  afterEach(() => h.kube.close());

  it('grants every request the actions, their dry runs and reconciles make, and nothing else', async () => {
    expect(await runEverything(h)).toEqual([]);
    expect(h.kube.requests.filter((r) => r.status === 403)).toEqual([]);
    expect([...rbac.granted()].sort()).toEqual([...used(h)].sort());
    expect(variant.flatMap((d) => d.rules ?? []).flatMap((r: object) => Object.values(r).flat())).not.toContain('*');
  });
});

it('the namespaced variant keeps the workload actions out of other namespaces', async () => {
  const h = await startHarness({ authorize: rbacFor(namespacedVariant(['shop']), account).authorize });
  try {
    h.kube.add(deployment({ namespace: 'payments', name: 'api', replicas: 2 }));
    const outcome = await executeKubeAction(h.client, {
      type: 'scale',
      target: { kind: 'deployment', namespace: 'payments', name: 'api' },
      delta: 1,
      ceiling: 5,
    });
    expect(!outcome.ok && outcome.error).toMatchObject({
      kind: 'forbidden',
      message:
        'Kubernetes refused: the service account system:serviceaccount:failureprophet:failureprophet cannot get deployments/scale (API group apps) in namespace payments; grant it in deploy/rbac.yaml',
    });
  } finally {
    await h.kube.close();
  }
});
