import type { V1Node } from '@kubernetes/client-node';
import type { ActionState } from '../../contract/healing';
import type { KubeClient } from '../kubernetes/client';
import type { KubeError } from '../kubernetes/errors';
import { cordonedBy, readNode, uncordon } from '../kubernetes/nodes';
import type { EngineContext } from './context';
import { cordonOwner } from './cordonOwner';
import { notActing } from './executionRecords';
import { isNodeAction, type NodeAction } from './nodeCheck';
import { describeAction } from './policies';
import type { StoredAction } from './store/actionRows';

/**
 * How a cordon or drain can end still holding its node. Unfinished: a drain paused half-way (or
 * interrupted by a restart) is cancelled (its policy changed, its trigger closed), blocked (the kill
 * switch, a limit) or superseded; nothing of it runs again, so nothing else would give the node back.
 * Failed: its failure path uncordons the node it cordoned and gives the hold back with its outcome
 * (executionRecords.ts), but keeps the hold when Kubernetes refused that uncordon.
 */
const ENDED: ActionState[] = ['cancelled', 'blocked', 'superseded', 'failed'];

const endedHolding = (action: StoredAction | undefined): action is NodeAction =>
  action !== undefined && isNodeAction(action) && ENDED.includes(action.state);

/** How it ended, as the audit says it. */
const howItEnded = (action: NodeAction): string =>
  action.state === 'failed' ? 'failed' : `was ${action.state} before it finished`;

const FREED = 'the node budget no longer counts it';

/**
 * Gives back the node of a cordon or drain that ended still holding it, as an operator undoes a
 * drain they stop half-way or that failed: uncordoned when this action cordoned it (its progress says
 * `cordonedByDrain`, or the node's CORDONED_BY annotation names it: its cordon's PATCH wrote that even
 * when the process stopped before saving its progress), left as it is when someone else cordoned it;
 * the hold released with its audit entry (`kubernetes`, worded as the executor's) in one transaction,
 * only while this action still holds it. When Kubernetes refuses the uncordon the action has ended all the same: the node stays
 * held (so the node budget keeps a second node from being drained beside it), the refusal is audited
 * and logged once, and each tick tries again until it is uncordoned here or by someone else.
 */
export class EndedHolds {
  constructor(private readonly ctx: EngineContext) {}

  /**
   * Told of every state an action entered: one that ended still holding its node gives it back now;
   * a failed one's failure path has just been refused that uncordon, so the next tick tries again
   * rather than sending a second one on its heels.
   */
  async entered(action: StoredAction): Promise<void> {
    if (endedHolding(action) && action.state !== 'failed') {
      await this.giveBack(action.id);
    }
  }

  /**
   * Each tick: what is not given back yet (refused here or on a failure path, or ended by a process
   * that stopped before giving it back).
   */
  async retry(): Promise<void> {
    const { actions } = this.ctx.lifecycle;
    for (const held of await actions.heldNodes()) {
      if (endedHolding(await actions.get(held.actionId))) {
        try {
          await this.giveBack(held.actionId);
        } catch (err) {
          this.ctx.deps.logger.warn(
            { err, actionId: held.actionId },
            `could not give node ${held.node} back yet; tried again at the next tick`
          );
        }
      }
    }
  }

  /** In the nodes' turn (executor.ts): no cordon or drain is claimed between the check and the release. */
  private giveBack(id: number): Promise<void> {
    return this.ctx.serial.run('nodes', async () => {
      const { actions } = this.ctx.lifecycle;
      const action = await actions.get(id);
      const node = (await actions.heldNodes()).find((h) => h.actionId === id)?.node;
      if (!endedHolding(action) || node === undefined) {
        return;
      }
      // Only the leader changes the cluster: its tick gives the node back.
      if (notActing(this.ctx)) {
        return;
      }
      const kube = this.ctx.kube();
      if (!kube) {
        const ended = `${describeAction(action.action)} ${howItEnded(action)}`;
        await this.refuse(action, node, `Kubernetes is not configured: node ${node} is not given back yet (${ended})`);
        return;
      }
      const seen = await readNode(kube, node);
      if (!seen.ok && seen.error.kind === 'not-found') {
        await this.gone(action, node, seen.error);
      } else if (action.progress?.cordonedByDrain || (seen.ok && cordonedBy(seen.value) === cordonOwner(action))) {
        await this.uncordon(kube, action, node);
      } else if (seen.ok) {
        await this.leave(action, node, seen.value);
      } else {
        // Whether it cordoned the node is written on the node: unread, releasing could leave its cordon for ever.
        await this.refuse(
          action,
          node,
          `could not read node ${node} (${seen.error.message}): cannot tell whether ${describeAction(action.action)} cordoned it; tried again at each tick`,
          seen.error
        );
      }
    });
  }

  private async uncordon(kube: KubeClient, action: NodeAction, node: string): Promise<void> {
    const undone = await uncordon(kube, { node });
    const story = `${describeAction(action.action)} cordoned it and ${howItEnded(action)}`;
    if (undone.ok) {
      const said = undone.value.changed ? `Kubernetes accepted: ${undone.value.summary}` : undone.value.summary;
      await this.release(action, node, `${said}; ${story}; ${FREED}`, undone.value);
    } else if (undone.error.kind === 'not-found') {
      await this.gone(action, node, undone.error);
    } else {
      await this.refuse(
        action,
        node,
        `Kubernetes answered with an error: ${undone.error.message}: node ${node} stays cordoned (${story}) and still counts toward the node budget; tried again at each tick, or give it back with \`kubectl uncordon ${node}\``,
        undone.error
      );
    }
  }

  /** Cordoned by someone else (before this action began, or another action): theirs to uncordon. */
  private leave(action: NodeAction, node: string, seen: V1Node): Promise<void> {
    const what = describeAction(action.action);
    const message =
      seen.spec?.unschedulable !== true
        ? `node ${node} is schedulable: left as it is`
        : `node ${node} is cordoned, as it was before ${what} began (it did not cordon it): left as it is`;
    return this.release(action, node, `${message}; ${FREED}`, undefined);
  }

  private gone(action: NodeAction, node: string, error: KubeError): Promise<void> {
    return this.release(
      action,
      node,
      `Kubernetes answered with an error: ${error.message}: the node is gone, nothing stays cordoned; ${FREED}`,
      error
    );
  }

  private async release(action: NodeAction, node: string, message: string, details: unknown): Promise<void> {
    const { lifecycle } = this.ctx;
    await lifecycle.actions.releaseHold(node, action.id, {
      at: lifecycle.now(),
      kind: 'kubernetes',
      actionId: action.id,
      triggerId: action.trigger.id,
      message,
      ...(details === undefined ? {} : { details }),
    });
  }

  /**
   * Audits and logs a refusal unless it is what the log last said about the action: a lasting one is
   * said once, not at every tick, whichever replica leads and however often it restarts (the log is
   * in the store, read by its action index; nothing else is written about an action that ended).
   */
  private async refuse(action: NodeAction, node: string, message: string, error?: KubeError): Promise<void> {
    const { lifecycle, deps } = this.ctx;
    const [last] = (await lifecycle.audit.list({ actionId: action.id, limit: 1, offset: 0, format: 'json' })).items;
    if (last?.kind === 'kubernetes' && last.message === message) {
      return;
    }
    deps.logger.warn({ actionId: action.id, node, error }, message);
    await lifecycle.audit.append({
      at: lifecycle.now(),
      kind: 'kubernetes',
      actionId: action.id,
      triggerId: action.trigger.id,
      message,
      ...(error ? { details: error } : {}),
    });
  }
}
