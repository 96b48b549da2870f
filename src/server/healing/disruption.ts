import type { PlannedAction, Reason, SafetyLimits } from '../../contract/healing';
import type { KubeClient } from '../kubernetes';
import { nodesHealth, podWorkloadHealth, workloadHealth, type NodeHealth } from '../kubernetes/health';
import { boundedScale } from '../kubernetes/workloads';

/**
 * The percentage and healthy-floor limits, read against the cluster as the API server reports it
 * (Ready conditions), right before an action runs. Like a PodDisruptionBudget for the engine's
 * own actions: a pod that is not Ready costs nothing to delete, a Ready one counts.
 */

const share = (n: number, of: number) => `${n} of ${of}`;

/**
 * Why a delete, restart or scale-in on this workload must wait now; undefined when it may run.
 * `takesReady`: the Ready pods it takes down (true: one, as a delete or a restart's next pod).
 */
export function workloadRefusal(
  health: { workload: string; desired: number; ready: number },
  takesReady: boolean | number,
  limits: SafetyLimits
): Reason | undefined {
  const { maxUnavailablePercent, minHealthyPercent } = limits.workloadDisruption;
  const { workload, desired, ready } = health;
  const down = Math.max(0, desired - ready);
  const cost = typeof takesReady === 'number' ? Math.max(0, takesReady) : takesReady ? 1 : 0;
  if (maxUnavailablePercent !== undefined) {
    // As a rollout's maxUnavailable rounds: down, but one at a time always (else a small workload could never heal).
    const cap = Math.max(1, Math.floor((desired * maxUnavailablePercent) / 100));
    if (down + cost > cap) {
      const more = cost > 1 ? ` and this would take ${cost} Ready pods down` : '';
      return {
        kind: 'workload-disruption',
        message: `waiting: ${share(down, desired)} replicas of ${workload} are not Ready${more}; at most ${maxUnavailablePercent}% (${cap}) at a time`,
      };
    }
  }
  if (minHealthyPercent !== undefined) {
    const floor = Math.ceil((desired * minHealthyPercent) / 100);
    if (ready - cost < floor) {
      return {
        kind: 'workload-disruption',
        message: `waiting: ${workload} has ${share(ready, desired)} replicas Ready; this would leave ${ready - cost}, below its healthy floor of ${minHealthyPercent}% (${floor})`,
      };
    }
  }
  return undefined;
}

/** The workload limits for a restart, a pod delete or a scale-in; undefined when they hold or are not set. */
export async function checkWorkload(
  kube: KubeClient,
  action: PlannedAction,
  limits: SafetyLimits
): Promise<Reason | undefined> {
  const { maxUnavailablePercent, minHealthyPercent } = limits.workloadDisruption;
  if (maxUnavailablePercent === undefined && minHealthyPercent === undefined) {
    return undefined;
  }
  let read;
  if (action.type === 'restart' || (action.type === 'scale' && mayScaleIn(action))) {
    read = await workloadHealth(kube, action.target);
  } else if (action.type === 'delete-pod') {
    read = await podWorkloadHealth(kube, action.namespace, action.name);
  } else {
    return undefined;
  }
  if (!read.ok) {
    // Not found: the pod is gone, which the action's own run reports; anything else, we cannot tell.
    return read.error.kind === 'not-found'
      ? undefined
      : {
          kind: 'workload-disruption',
          message: `waiting: cannot count the workload's Ready pods (${read.error.message})`,
        };
  }
  if (read.value === undefined) {
    return undefined; // a bare pod: no workload to keep healthy
  }
  if (action.type === 'scale') {
    // A scale-in is a disruption: it deletes running pods as surely as a delete-pod does, several
    // at once, so the same limits hold for it. It counts as taking `from - to` Ready pods down (the
    // controller may pick unready ones first; we do not count on it), at most the Ready pods there are.
    const from = action.expectReplicas ?? read.value.desired;
    const { to } = boundedScale(from, action.replicas ?? from + (action.delta ?? 0), action.ceiling);
    return to < from ? workloadRefusal(read.value, Math.min(from - to, read.value.ready), limits) : undefined;
  }
  // A delete takes a Ready pod only if that pod was Ready; a rolling restart takes one down
  // whenever one is Ready (restarting a workload with none Ready costs nothing more).
  const takesReady = 'podReady' in read.value ? read.value.podReady : read.value.ready > 0;
  return workloadRefusal(read.value, takesReady, limits);
}

/** Whether a scale may take replicas away: pinned below its starting count, a count not pinned yet, or a negative delta. */
function mayScaleIn(action: Extract<PlannedAction, { type: 'scale' }>): boolean {
  if (action.replicas !== undefined) {
    return action.expectReplicas === undefined || action.replicas < action.expectReplicas;
  }
  return (action.delta ?? 0) < 0;
}

/** Ready and schedulable: what carries the cluster's pods. */
const carrying = (n: NodeHealth) => n.ready && !n.unschedulable;

/** How many nodes the engine may hold cordoned or draining at once. */
export function nodeBudget(limits: SafetyLimits, totalNodes: number): number {
  const { maxPercent } = limits.nodeDisruption;
  return maxPercent === undefined ? limits.maxNodesDisrupted : Math.max(1, Math.floor((totalNodes * maxPercent) / 100));
}

/**
 * The Ready-node floor for cordoning or draining `node`: nodes the engine already holds count as
 * gone (their cordon may not have landed yet). Undefined when it holds.
 */
export function nodeFloorRefusal(
  nodes: NodeHealth[],
  node: string,
  held: string[],
  limits: SafetyLimits
): Reason | undefined {
  const { minReadyPercent } = limits.nodeDisruption;
  const floor = Math.ceil((nodes.length * minReadyPercent) / 100);
  const after = nodes.filter((n) => carrying(n) && n.name !== node && !held.includes(n.name)).length;
  if (after < floor) {
    const now = nodes.filter(carrying).length;
    return {
      kind: 'node-budget',
      message: `waiting: ${share(now, nodes.length)} nodes are Ready and schedulable; taking node ${node} out would leave ${after}, below ${minReadyPercent}% (${floor})`,
    };
  }
  return undefined;
}

/** The node list for the node limits, or why it cannot be read. */
export async function readNodes(kube: KubeClient): Promise<{ nodes: NodeHealth[] } | { refusal: Reason }> {
  const read = await nodesHealth(kube);
  return read.ok
    ? { nodes: read.value }
    : { refusal: { kind: 'node-budget', message: `waiting: cannot count the Ready nodes (${read.error.message})` } };
}

/**
 * Runs `fn` for one key at a time: the check of a limit and the change it allows happen together,
 * so two actions on the same workload (or two node actions) cannot both pass one snapshot.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) {
        this.tails.delete(key);
      }
    });
    return result;
  }
}
