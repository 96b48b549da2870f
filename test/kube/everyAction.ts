// One of each healing action the Kubernetes module carries out, on the objects it needs. Tests that check what the actions send to a cluster (the RBAC of
// deploy/rbac.yaml, the admission policy of deploy/admission/) run this list, so an action added
// here is checked by both.

import type { PlannedAction } from '../../src/contract/healing';
import { daemonSet, deployment, node, pod, statefulSet, type KubeObject } from './objects';

/** The objects EVERY_ACTION acts on. */
export function everyActionObjects(): KubeObject[] {
  const exporter = daemonSet({ namespace: 'monitoring', name: 'node-exporter' });
  return [
    // An annotation of its own on the template, which a restart must leave alone.
    deployment({ namespace: 'shop', name: 'cart', replicas: 2, annotations: { 'prometheus.io/scrape': 'true' } }),
    statefulSet({ namespace: 'shop', name: 'db', replicas: 1 }),
    daemonSet({ namespace: 'shop', name: 'agent' }),
    exporter,
    node('n1'),
    // The drain skips it once it has read its DaemonSet, in a namespace the workload role may not reach.
    pod({ namespace: 'monitoring', name: 'node-exporter-n1', nodeName: 'n1', owner: exporter }),
    node('n2'),
    pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'ReplicaSet', labels: { app: 'cart' } }),
    // A namespace no policy acts in: the drain still evicts there, and waits for the pod to go.
    pod({ namespace: 'monitoring', name: 'prometheus-0', nodeName: 'n1', ownerKind: 'StatefulSet' }),
    pod({ namespace: 'shop', name: 'cart-2', nodeName: 'n2', ownerKind: 'ReplicaSet', labels: { app: 'cart' } }),
  ];
}

export const EVERY_ACTION: PlannedAction[] = [
  { type: 'scale', target: { kind: 'deployment', namespace: 'shop', name: 'cart' }, delta: 1, ceiling: 5 },
  { type: 'scale', target: { kind: 'statefulset', namespace: 'shop', name: 'db' }, replicas: 2, ceiling: 5 },
  { type: 'restart', target: { kind: 'deployment', namespace: 'shop', name: 'cart' } },
  { type: 'restart', target: { kind: 'statefulset', namespace: 'shop', name: 'db' } },
  { type: 'restart', target: { kind: 'daemonset', namespace: 'shop', name: 'agent' } },
  { type: 'delete-pod', namespace: 'shop', name: 'cart-2' },
  { type: 'cordon', node: 'n2' },
  { type: 'uncordon', node: 'n2' },
  { type: 'drain', node: 'n1' },
  { type: 'uncordon', node: 'n1' },
];
