import type { V1LabelSelector, V1Node, V1Pod } from '@kubernetes/client-node';
import { call, KubeClient } from './client';
import { KubeResult, ok } from './errors';
import { podRequest } from './pods';
import { RestartableKind, WorkloadRef, workloadName } from './workloads';

/** How many replicas a workload wants and how many of its pods the API server reports Ready. */
export interface WorkloadHealth {
  /** "deployment shop/cart" */
  workload: string;
  desired: number;
  ready: number;
}

/** One node as the limits count it: Ready and schedulable is what carries the cluster's pods. */
export interface NodeHealth {
  name: string;
  ready: boolean;
  unschedulable: boolean;
}

/** Ready as the API server reports it (the pod's Ready condition), and not on its way out. */
export function podReady(pod: V1Pod): boolean {
  return (
    pod.metadata?.deletionTimestamp === undefined &&
    (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** The node's Ready condition, as the kubelet posts it. */
export function nodeReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A label selector in the query syntax the API server takes (`app=cart,tier in (web)`). */
export function selectorQuery(selector: V1LabelSelector | undefined): string {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    const term: Record<string, string> = {
      In: `${e.key} in (${values})`,
      NotIn: `${e.key} notin (${values})`,
      Exists: e.key,
      DoesNotExist: `!${e.key}`,
    };
    terms.push(term[e.operator] ?? e.key);
  }
  return terms.join(',');
}

/** What the limits read of a workload: how many replicas it wants (a DaemonSet: on how many nodes) and its pods' selector. */
interface Wanted {
  desired: number;
  selector?: V1LabelSelector;
}

function readWorkload(client: KubeClient, ref: WorkloadRef<RestartableKind | 'replicaset'>) {
  const params = { name: ref.name, namespace: ref.namespace };
  const request = { verb: 'get' as const, resource: `${ref.kind}s`, group: 'apps', ...params };
  return call<Wanted>(client, request, async (options) => {
    switch (ref.kind) {
      case 'deployment': {
        const { spec } = await client.apps.readNamespacedDeployment(params, options);
        return { desired: spec?.replicas ?? 1, selector: spec?.selector };
      }
      case 'statefulset': {
        const { spec } = await client.apps.readNamespacedStatefulSet(params, options);
        return { desired: spec?.replicas ?? 1, selector: spec?.selector };
      }
      case 'replicaset': {
        const { spec } = await client.apps.readNamespacedReplicaSet(params, options);
        return { desired: spec?.replicas ?? 1, selector: spec?.selector };
      }
      case 'daemonset': {
        const { spec, status } = await client.apps.readNamespacedDaemonSet(params, options);
        return { desired: status?.desiredNumberScheduled ?? 0, selector: spec?.selector };
      }
    }
  });
}

/** The workload's desired replicas (a DaemonSet's: the nodes it should run on) and its Ready pods. */
export async function workloadHealth(
  client: KubeClient,
  ref: WorkloadRef<RestartableKind | 'replicaset'>
): Promise<KubeResult<WorkloadHealth>> {
  const read = await readWorkload(client, ref);
  if (!read.ok) {
    return read;
  }
  const { desired, selector } = read.value;
  const pods = await call(client, podRequest('list', ref.namespace), (options) =>
    client.core.listNamespacedPod({ namespace: ref.namespace, labelSelector: selectorQuery(selector) }, options)
  );
  if (!pods.ok) {
    return pods;
  }
  return ok({ workload: workloadName(ref), desired, ready: pods.value.items.filter(podReady).length });
}

/**
 * The workload a pod belongs to, followed through its controller the way kubectl does (a
 * ReplicaSet owned by a Deployment counts as that Deployment), with its health and whether this
 * pod is one of its Ready ones. Undefined for a pod no workload owns (a bare pod, a Job's).
 */
export async function podWorkloadHealth(
  client: KubeClient,
  namespace: string,
  name: string
): Promise<KubeResult<(WorkloadHealth & { podReady: boolean }) | undefined>> {
  const read = await call(client, podRequest('get', namespace, name), (options) =>
    client.core.readNamespacedPod({ name, namespace }, options)
  );
  if (!read.ok) {
    return read;
  }
  const owner = read.value.metadata?.ownerReferences?.find((o) => o.controller);
  let ref: WorkloadRef<RestartableKind | 'replicaset'> | undefined;
  if (owner?.kind === 'StatefulSet' || owner?.kind === 'DaemonSet') {
    ref = { kind: owner.kind === 'StatefulSet' ? 'statefulset' : 'daemonset', namespace, name: owner.name };
  } else if (owner?.kind === 'ReplicaSet') {
    const rs = await call(
      client,
      { verb: 'get', resource: 'replicasets', group: 'apps', namespace, name: owner.name },
      (o) => client.apps.readNamespacedReplicaSet({ name: owner.name, namespace }, o)
    );
    if (!rs.ok) {
      return rs;
    }
    const deployment = rs.value.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'Deployment');
    ref = deployment
      ? { kind: 'deployment', namespace, name: deployment.name }
      : { kind: 'replicaset', namespace, name: owner.name };
  }
  if (!ref) {
    return ok(undefined);
  }
  const health = await workloadHealth(client, ref);
  return health.ok ? ok({ ...health.value, podReady: podReady(read.value) }) : health;
}

/** Every node, Ready or not, cordoned or not. */
export async function nodesHealth(client: KubeClient): Promise<KubeResult<NodeHealth[]>> {
  const listed = await call(client, { verb: 'list', resource: 'nodes', group: '' }, (options) =>
    client.core.listNode({}, options)
  );
  if (!listed.ok) {
    return listed;
  }
  return ok(
    listed.value.items.map((n) => ({
      name: n.metadata?.name ?? '',
      ready: nodeReady(n),
      unschedulable: n.spec?.unschedulable === true,
    }))
  );
}
