import type { ActionState, Reason, SafetyLimits } from '../../contract/healing';
import { call, type KubeClient } from '../kubernetes/client';
import { nodeBudget, nodeFloorRefusal, readNodes } from './disruption';
import type { StoredAction } from './store/actionRows';
import type { ActionRepository } from './store/repositories';

/** A cordon or a drain: an action that takes a node out, under the node budget and the Ready-node floor. */
export type NodeAction = StoredAction & { action: { type: 'cordon' | 'drain'; node: string } };
export const isNodeAction = (a: StoredAction): a is NodeAction =>
  a.action.type === 'cordon' || a.action.type === 'drain';

/** An uncordon: gives a node back. It takes its turn with the cordons and drains (the executor's `'nodes'` key). */
export type UncordonAction = StoredAction & { action: { type: 'uncordon'; node: string } };
export const isUncordon = (a: StoredAction): a is UncordonAction => a.action.type === 'uncordon';

/**
 * Whether the action holding a node is still at work on it: executing, or back to `approved` with
 * the hold it took at its claim (a drain paused at a safe point, its progress kept, to resume).
 * Its hold is given back by itself (when it fails) and by nothing else while it is at work.
 */
export const atWorkOnNode = (holder: StoredAction | undefined): boolean =>
  holder?.state === 'executing' || holder?.state === 'approved';

/** The action holding `node` while it is at work on it, if any (not `self`). */
async function workingHolder(actions: ActionRepository, node: string, self?: number) {
  const held = (await actions.heldNodes()).find((h) => h.node === node && h.actionId !== self);
  const holder = held && (await actions.get(held.actionId));
  return atWorkOnNode(holder) ? holder : undefined;
}

/**
 * For an uncordon: why it waits while the drain or cordon holding its node is at work on it
 * (executing, or a drain paused with its progress). It waits rather than being refused: uncordoning
 * mid-drain would make the node take pods again while the drain still evicts from it (and give the
 * node budget back for a second drain), whereas once the drain has ended, giving the node back is
 * what was approved; a refusal would throw that approval away for a matter of timing.
 */
export async function uncordonWait(actions: ActionRepository, action: UncordonAction): Promise<Reason | undefined> {
  const holder = await workingHolder(actions, action.action.node, action.id);
  if (!holder) {
    return undefined;
  }
  const how = holder.state === 'executing' ? 'executing' : 'paused';
  const doing = holder.action.type === 'drain' ? 'drained' : 'cordoned';
  return {
    kind: 'node-budget',
    message: `waiting: node ${action.action.node} is being ${doing} by action ${holder.id} (${how}); it is uncordoned once that action has ended`,
  };
}

/** Whether a successful uncordon gives its node's hold back: not while the action holding it is at work on it. */
export async function uncordonReleases(actions: ActionRepository, node: string): Promise<boolean> {
  return (await workingHolder(actions, node)) === undefined;
}

/**
 * The states in which a cordon or drain did its work: it keeps its node held only for the node
 * budget, until someone uncordons it, so a later cordon or drain of that node (a ladder's drain
 * after its cordon) may take the hold over. In any other state its holder keeps the node to itself:
 * at work on it, or ended unfinished and not given back yet (endedHolds.ts).
 */
const DID_ITS_WORK: ActionState[] = ['succeeded', 'verified', 'not_recovered'];

/** Another action holding this action's node: one that keeps it to itself makes this one wait until it has ended. */
async function nodeHolder(
  actions: ActionRepository,
  action: NodeAction
): Promise<{ wait: Reason } | { takesOver?: number }> {
  const { node } = action.action;
  const held = (await actions.heldNodes()).find((h) => h.node === node && h.actionId !== action.id);
  if (!held) {
    return {};
  }
  const holder = await actions.get(held.actionId);
  if (holder === undefined || DID_ITS_WORK.includes(holder.state)) {
    return { takesOver: held.actionId };
  }
  const doing = holder.action.type === 'drain' ? 'drained' : 'cordoned';
  const message = atWorkOnNode(holder)
    ? `node ${node} is being ${doing} by action ${held.actionId} (${holder.state === 'executing' ? 'executing' : 'paused'})`
    : `node ${node} is still held by action ${held.actionId} (${holder.state}), which gives it back first`;
  return {
    wait: {
      kind: 'node-budget',
      message: `waiting: ${message}; one action at a time on a node, so this one runs once that action has ended and given the node back`,
    },
  };
}

/** A cordon or drain may go on: the node budget, and the done holder whose hold it takes over, if any. */
export interface NodeClearance {
  budget: number;
  takesOver?: number;
}

/**
 * For cordon and drain: the node's holder (one action at a time on a node), the node budget (a count,
 * or a share of the nodes), after giving back nodes someone uncordoned, and the Ready-node floor. The
 * budget (and the hold it takes over, if any) when it may go on, else why it waits.
 */
export async function nodeCheck(
  actions: ActionRepository,
  action: NodeAction,
  limits: SafetyLimits,
  kube?: KubeClient
): Promise<{ wait: Reason } | NodeClearance> {
  const holder = await nodeHolder(actions, action);
  if ('wait' in holder) {
    return holder;
  }
  const others = async () => (await actions.heldNodes()).filter((h) => h.node !== action.action.node);
  if (!kube) {
    return { budget: limits.maxNodesDisrupted, ...holder };
  }
  const read = await readNodes(kube);
  if ('refusal' in read) {
    return { wait: read.refusal };
  }
  const budget = nodeBudget(limits, read.nodes.length);
  if ((await others()).length >= budget) {
    for (const held of await others()) {
      // Not the hold of a drain at work (executing or paused): only it gives that back.
      if (atWorkOnNode(await actions.get(held.actionId))) {
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
  return floor ? { wait: floor } : { budget, ...holder };
}
