// Builders for the objects a test seeds the server with, shaped like what the API server returns.
// Only the fields the actions read are filled; the rest of a real object would be ignored anyway.

import { randomUUID } from 'node:crypto';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const created = '2025-01-01T00:00:00Z';

function meta(name: string, namespace?: string, labels?: Record<string, string>) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    uid: randomUUID(),
    generation: 1,
    creationTimestamp: created,
    labels: labels ?? {},
  };
}

interface WorkloadInput {
  namespace: string;
  name: string;
  replicas?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Deployments only: spec.paused, as `kubectl rollout pause` sets it. */
  paused?: boolean;
  /** StatefulSets and DaemonSets: spec.updateStrategy.type (the API server defaults RollingUpdate). */
  updateStrategy?: 'RollingUpdate' | 'OnDelete';
}

function workload(apiKind: string, input: WorkloadInput, withReplicas: boolean): KubeObject {
  const labels = input.labels ?? { app: input.name };
  return {
    apiVersion: 'apps/v1',
    kind: apiKind,
    metadata: meta(input.name, input.namespace, labels),
    spec: {
      ...(withReplicas ? { replicas: input.replicas ?? 1 } : {}),
      ...(input.paused ? { paused: true } : {}),
      ...(input.updateStrategy ? { updateStrategy: { type: input.updateStrategy } } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, ...(input.annotations ? { annotations: input.annotations } : {}) },
        spec: { containers: [{ name: input.name, image: `${input.name}:1` }] },
      },
    },
    status: withReplicas ? { replicas: input.replicas ?? 1, readyReplicas: input.replicas ?? 1 } : {},
  };
}

export const deployment = (input: WorkloadInput) => workload('Deployment', input, true);
export const statefulSet = (input: WorkloadInput) => workload('StatefulSet', input, true);
export const daemonSet = (input: WorkloadInput) => workload('DaemonSet', input, false);

/** The controller reference its owner's controller sets (metav1.NewControllerRef): kind, name and uid. */
export function controllerRef(owner: KubeObject) {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
  };
}

/**
 * A Deployment's ReplicaSet: its pods name it as their controller, and it names the Deployment as
 * its own. Given by name only, the reference carries a uid no stored Deployment has; given the
 * Deployment, it is that Deployment's (what the disruption controller follows, uid and all).
 */
export function replicaSet(input: WorkloadInput & { deployment?: string | KubeObject }): KubeObject {
  const rs = workload('ReplicaSet', input, true);
  if (typeof input.deployment === 'string') {
    rs.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: input.deployment, uid: randomUUID(), controller: true },
    ];
  } else if (input.deployment) {
    rs.metadata.ownerReferences = [controllerRef(input.deployment)];
  }
  return rs;
}

/**
 * A Ready condition as the API server returns it: a pod's carries probe and transition times
 * (core/v1 PodCondition), a node's the kubelet's reason and heartbeat (core/v1 NodeCondition).
 */
const podCondition = (ready: boolean) => ({
  type: 'Ready',
  status: ready ? 'True' : 'False',
  lastProbeTime: null,
  lastTransitionTime: created,
  ...(ready ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status: [main]' }),
});
const nodeCondition = (ready: boolean) => ({
  type: 'Ready',
  status: ready ? 'True' : 'Unknown',
  lastHeartbeatTime: created,
  lastTransitionTime: created,
  reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
  message: ready ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
});

export interface PodInput {
  namespace: string;
  name: string;
  nodeName?: string;
  labels?: Record<string, string>;
  /** The controller that owns it: ReplicaSet, StatefulSet, DaemonSet, Job; none for a bare pod. */
  ownerKind?: string;
  ownerName?: string;
  /**
   * The stored controller that owns it (a ReplicaSet, a StatefulSet), referenced with its uid as the
   * controller sets it; ownerKind and ownerName make a reference with a uid nothing stored has.
   */
  owner?: KubeObject;
  /** A static pod as the kubelet mirrors it into the API. */
  mirror?: boolean;
  terminationGracePeriodSeconds?: number;
  phase?: string;
  /** The Ready condition; true by default. */
  ready?: boolean;
}

export function pod(input: PodInput): KubeObject {
  const metadata: KubeObject['metadata'] = meta(input.name, input.namespace, input.labels);
  delete metadata.generation;
  if (input.owner) {
    metadata.ownerReferences = [controllerRef(input.owner)];
  } else if (input.ownerKind) {
    metadata.ownerReferences = [
      {
        apiVersion: input.ownerKind === 'Job' ? 'batch/v1' : 'apps/v1',
        kind: input.ownerKind,
        name: input.ownerName ?? input.name.replace(/-[^-]+$/, ''),
        uid: randomUUID(),
        controller: true,
      },
    ];
  }
  if (input.mirror) {
    metadata.annotations = { 'kubernetes.io/config.mirror': randomUUID().replace(/-/g, '') };
    metadata.ownerReferences = [
      { apiVersion: 'v1', kind: 'Node', name: input.nodeName ?? 'node', uid: randomUUID(), controller: true },
    ];
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      nodeName: input.nodeName,
      terminationGracePeriodSeconds: input.terminationGracePeriodSeconds ?? 30,
      containers: [{ name: 'main', image: 'app:1' }],
    },
    status: { phase: input.phase ?? 'Running', conditions: [podCondition(input.ready ?? true)] },
  };
}

export function node(name: string, unschedulable = false, ready = true): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta(name, undefined, { 'kubernetes.io/hostname': name }),
    spec: unschedulable ? { unschedulable: true } : {},
    status: { conditions: [nodeCondition(ready)] },
  };
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface PdbInput {
  namespace: string;
  name: string;
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
  /** The whole selector instead: null leaves it out (a budget that selects nothing), {} selects every pod. */
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] } | null;
  /** An int, or a percentage ("50%") of the pods' controllers' replicas, rounded up. */
  minAvailable?: number | string;
  /** An int, or a percentage ("25%") of the pods' controllers' replicas, rounded up. Not beside minAvailable. */
  maxUnavailable?: number | string;
}

/** Its status is computed by the server from the pods it selects, as the disruption controller does. */
export function podDisruptionBudget(input: PdbInput): KubeObject {
  const selector =
    input.selector !== undefined
      ? input.selector
      : {
          ...(input.matchLabels ? { matchLabels: input.matchLabels } : {}),
          ...(input.matchExpressions ? { matchExpressions: input.matchExpressions } : {}),
        };
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(input.name, input.namespace),
    spec: {
      ...(input.minAvailable !== undefined ? { minAvailable: input.minAvailable } : {}),
      ...(input.maxUnavailable !== undefined ? { maxUnavailable: input.maxUnavailable } : {}),
      ...(selector === null ? {} : { selector }),
    },
    status: {},
  };
}
