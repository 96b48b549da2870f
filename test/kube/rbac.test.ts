// deploy/rbac.yaml against what the actions really send: every request they make is granted, and
// nothing is granted that is not needed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { executeKubeAction, KubeAction } from '../../src/server/kubernetes';
import { reconcile } from '../../src/server/kubernetes/reconcile';
import { startHarness } from './harness';
import { daemonSet, deployment, node, pod, statefulSet } from './objects';
import { parsePath } from './server';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const rules: Rule[] = parseAllDocuments(readFileSync(join(__dirname, '../../deploy/rbac.yaml'), 'utf8'))
  .map((d) => d.toJS())
  .filter((o) => o.kind === 'ClusterRole')
  .flatMap((o) => o.rules);

const granted = (group: string, resource: string, verb: string) =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

it('grants every request the actions and reconciles make, without wildcards', async () => {
  const h = await startHarness();
  try {
    h.kube.add(
      deployment({ namespace: 'shop', name: 'cart', replicas: 2 }),
      statefulSet({ namespace: 'shop', name: 'db', replicas: 1 }),
      daemonSet({ namespace: 'shop', name: 'agent' }),
      node('n1'),
      pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'shop', name: 'cart-2', nodeName: 'n1', ownerKind: 'ReplicaSet' })
    );
    const actions: KubeAction[] = [
      { type: 'scale', target: { kind: 'deployment', namespace: 'shop', name: 'cart' }, replicas: 3, ceiling: 5 },
      { type: 'scale', target: { kind: 'statefulset', namespace: 'shop', name: 'db' }, replicas: 2, ceiling: 5 },
      {
        type: 'restart',
        target: { kind: 'deployment', namespace: 'shop', name: 'cart' },
        restartedAt: '2025-06-01T00:00:00Z',
      },
      {
        type: 'restart',
        target: { kind: 'statefulset', namespace: 'shop', name: 'db' },
        restartedAt: '2025-06-01T00:00:00Z',
      },
      {
        type: 'restart',
        target: { kind: 'daemonset', namespace: 'shop', name: 'agent' },
        restartedAt: '2025-06-01T00:00:00Z',
      },
      { type: 'delete-pod', namespace: 'shop', name: 'cart-1' },
      { type: 'drain', node: 'n1' },
      { type: 'uncordon', node: 'n1' },
      { type: 'delete-pod', namespace: 'shop', name: 'cart-1', expectUid: 'x' },
    ];
    for (const action of actions) {
      await executeKubeAction(h.client, action, { dryRun: true });
      await executeKubeAction(h.client, action);
      await reconcile(h.client, action);
    }
    const used = new Set(
      h.kube.requests.map((r) => {
        const route = parsePath(r.method, r.path)!;
        return `${route.group}|${route.subresource ? `${route.resource}/${route.subresource}` : route.resource}|${route.verb}`;
      })
    );
    for (const key of used) {
      const [group, resource, verb] = key.split('|');
      expect({ key, granted: granted(group, resource, verb) }).toEqual({ key, granted: true });
    }
    const all = rules.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]);
    expect(all).not.toContain('*');
    // Granted beyond what is exercised here: only reading PodDisruptionBudgets, for the drain proposal.
    const grantedKeys = rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}`)))
    );
    expect(grantedKeys.filter((k) => !used.has(k)).sort()).toEqual([
      'policy|poddisruptionbudgets|get',
      'policy|poddisruptionbudgets|list',
    ]);
  } finally {
    await h.kube.close();
  }
});
