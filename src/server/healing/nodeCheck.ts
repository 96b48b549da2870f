import type { Reason, SafetyLimits } from '../../contract/healing';
import { call, type KubeClient } from '../kubernetes/client';
import { nodeBudget, nodeFloorRefusal, readNodes } from './disruption';
import type { StoredAction } from './store/actionRows';
import type { ActionRepository } from './store/repositories';

/** A cordon or a drain: an action that takes a node out, under the node budget and the Ready-node floor. */
export type NodeAction = StoredAction & { action: { type: 'cordon' | 'drain'; node: string } };
export const isNodeAction = (a: StoredAction): a is NodeAction =>
  a.action.type === 'cordon' || a.action.type === 'drain';

/**
 * For cordon and drain: the node budget (a count, or a share of the nodes), after giving back
 * nodes someone uncordoned, and the Ready-node floor. The budget when it may go on, else why it waits.
 */
export async function nodeCheck(
  actions: ActionRepository,
  action: NodeAction,
  limits: SafetyLimits,
  kube?: KubeClient
): Promise<{ wait: Reason } | { budget: number }> {
  const others = async () => (await actions.heldNodes()).filter((h) => h.node !== action.action.node);
  if (!kube) {
    return { budget: limits.maxNodesDisrupted };
  }
  const read = await readNodes(kube);
  if ('refusal' in read) {
    return { wait: read.refusal };
  }
  const budget = nodeBudget(limits, read.nodes.length);
  if ((await others()).length >= budget) {
    for (const held of await others()) {
      if ((await actions.get(held.actionId))?.state === 'executing') {
        continue;
      }
      const node = await call(kube, { verb: 'get', resource: 'nodes', group: '', name: held.node }, (o) =>
        kube.core.readNode({ name: held.node }, o)
      );
      if ((node.ok && node.value.spec?.unschedulable !== true) || (!node.ok && node.error.kind === 'not-found')) {
        await actions.releaseNode(held.node);
      }
    }
  }
  const full = await others();
  if (full.length >= budget) {
    return {
      wait: {
        kind: 'node-budget',
        message: `waiting: ${full.map((h) => `node ${h.node} (action ${h.actionId})`).join(', ')} already cordoned or draining; at most ${budget} at a time`,
      },
    };
  }
  const floor = nodeFloorRefusal(
    read.nodes,
    action.action.node,
    full.map((h) => h.node),
    limits
  );
  return floor ? { wait: floor } : { budget };
}
