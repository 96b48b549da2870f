import { reasonText, type Reason, type SafetyLimits } from '../../contract/healing';
import type { KubeClient } from '../kubernetes/client';
import { supersededBecause } from './approved';
import type { EngineContext } from './context';
import { checkWorkload } from './disruption';
import { isNodeAction, isUncordon, nodeCheck, uncordonWait, type NodeClearance } from './nodeCheck';
import { dryRunAction } from './dryRun';
import { ExecutionRecords, notActing } from './executionRecords';
import { approvedAutomatically } from './holds';
import { isKubeAction } from './kube';
import { iso } from './lifecycle';
import { checkLimits, limitWindow } from './limits';
import { NotifyAttempts } from './notifyAttempts';
import { describeAction } from './policies';
import { withdraw } from './policyChange';
import { ActionRunner } from './running';
import type { StoredAction } from './store/actionRows';

/**
 * Runs approved actions exactly once: re-checks what must still be true, claims the action in a
 * write transaction that checks every limit again, then hands it to the runner (running.ts), which
 * runs it with its progress persisted and records the outcome (executionRecords.ts); the runner
 * also reconciles what a stopped process left executing (verify.ts verifies what succeeded).
 *
 * Each step reads the Kubernetes client once when it starts and uses that one to the end, so an
 * Admin changing Kubernetes access meanwhile never splits a step across two clusters.
 */
export class Executor {
  private readonly records: ExecutionRecords;
  private readonly notifications: NotifyAttempts;
  private readonly runner: ActionRunner;

  constructor(private readonly ctx: EngineContext) {
    this.records = new ExecutionRecords(ctx);
    this.notifications = new NotifyAttempts(ctx, this.records);
    this.runner = new ActionRunner(ctx, this.records, this.notifications);
  }

  async execute(id: number): Promise<void> {
    const { lifecycle, settings } = this.ctx;
    const kube = this.ctx.kube();
    const action = await lifecycle.actions.get(id);
    if (action?.state !== 'approved') {
      return;
    }
    const limits = (await settings.limits()).limits;
    const stopped = await settings.killSwitchRefusal();
    if (stopped) {
      await lifecycle.block(action, ['approved'], stopped);
      return;
    }
    const gone = await this.triggerGone(action);
    if (gone) {
      await lifecycle.move(
        action,
        ['approved'],
        'cancelled',
        { reason: { kind: 'trigger-resolved', message: gone }, finishedAt: lifecycle.now() },
        [{ kind: 'cancelled', message: gone }]
      );
      return;
    }
    if (await withdraw(this.ctx, action, limits)) {
      return;
    }
    // Approved by the gate, not a person: it runs only while automation holds (no pause, storm, window or silence).
    if (approvedAutomatically(action) && (await this.records.wait(action, await this.ctx.holds.refusal(action)))) {
      return;
    }
    // The limit checks and the change they allow run one at a time per workload namespace (and for
    // the nodes: cordon, drain and uncordon), so two actions cannot both pass one snapshot of the
    // Ready counts or of the node holds.
    const planned = action.action;
    const prepareAndRun = async () => {
      if (await this.prepare(action, limits, kube)) {
        await this.runner.run(await lifecycle.get(id), kube);
      }
    };
    if (isNodeAction(action)) {
      if (await this.ctx.serial.run('nodes', () => this.prepare(action, limits, kube))) {
        await this.runner.run(await lifecycle.get(id), kube);
      }
    } else if (isUncordon(action)) {
      // An uncordon checks the node's holder and runs (one request) in the nodes' turn: no drain or
      // cordon is claimed between its check and its end, where it gives the node's hold back.
      await this.ctx.serial.run('nodes', prepareAndRun);
    } else if (planned.type === 'restart' || planned.type === 'delete-pod' || planned.type === 'scale') {
      // A scale-in takes Ready pods down as they do (disruption.ts); a scale-out waiting its turn costs little.
      await this.ctx.serial.run(`workloads in ${action.namespace ?? ''}`, prepareAndRun);
    } else if (!(await this.notifications.backingOff(action))) {
      // A notification: claimed again only once the back-off after its last failed attempt is over.
      await prepareAndRun();
    }
  }

  /** The limits read from the cluster, the fresh dry run, then the claim: true when the action may run now. */
  private async prepare(action: StoredAction, limits: SafetyLimits, kube: KubeClient | undefined): Promise<boolean> {
    const { lifecycle, deps } = this.ctx;
    let nodes: NodeClearance = { budget: limits.maxNodesDisrupted };
    if (isNodeAction(action)) {
      const checked = await nodeCheck(lifecycle.actions, action, limits, kube);
      if (await this.records.wait(action, 'wait' in checked ? checked.wait : undefined)) {
        return false;
      }
      nodes = 'budget' in checked ? checked : nodes;
    }
    if (isUncordon(action) && (await this.records.wait(action, await uncordonWait(lifecycle.actions, action)))) {
      return false;
    }
    if (kube && (await this.records.wait(action, await checkWorkload(kube, action.action, limits)))) {
      return false;
    }
    if (isKubeAction(action.action)) {
      // The proposal's dry run may be hours old: check again that the cluster accepts it now, and
      // that it would still make the change that was approved, not another one.
      const dry = await dryRunAction(
        action.action,
        action.target,
        lifecycle.now(),
        kube,
        deps.notifier,
        await this.ctx.holds.evictions(action, limits)
      );
      // A paused drain resuming finds its own cordon and evictions: that is not someone else's change.
      const changed = action.progress ? undefined : supersededBecause(action, dry);
      if (changed) {
        await this.records.supersede(action, ['approved'], changed, dry.record);
        return false;
      }
      const refused: Reason | undefined =
        dry.noop ?? (dry.record.error && { ...dry.record.error, kind: 'dry-run-failed' });
      if (refused) {
        const to = dry.noop ? 'cancelled' : 'blocked';
        await lifecycle.move(
          action,
          ['approved'],
          to,
          { dryRun: dry.record, reason: refused, finishedAt: lifecycle.now() },
          [
            { kind: 'dry_run', message: dry.record.summary, details: dry.record },
            { kind: to, message: refused.message },
          ]
        );
        return false;
      }
    }
    return this.claim(action.id, limits, nodes);
  }

  /** Why the trigger is no longer true, or undefined when it still is. */
  private async triggerGone(action: StoredAction): Promise<string | undefined> {
    const { deps, settings } = this.ctx;
    const { trigger } = action;
    const record = await this.ctx.lifecycle.actions.trigger(action.triggerKey);
    if (record?.closedAt !== undefined) {
      return `the ${trigger.source} ${trigger.id} ${trigger.source === 'alert' ? 'resolved' : 'closed'} at ${iso(record.closedAt)}, before the action ran`;
    }
    if (deps.readSignal && trigger.source === 'anomaly') {
      const threshold = (await settings.limits()).limits.verification.recoveredBelowScore;
      try {
        const score = await deps.readSignal(trigger);
        if (score !== undefined && score < threshold) {
          return `the anomaly score of ${trigger.id} is now ${score.toFixed(2)}, below ${threshold}: the target recovered before the action ran`;
        }
      } catch (err) {
        deps.logger.warn(
          { err, actionId: action.id },
          'could not re-read the triggering signal; going by the open anomaly'
        );
      }
    }
    return undefined;
  }

  /**
   * Moves approved → executing in one claim of the store (one at a time across every process),
   * after checking every limit again against what the claim reads; false when it must not run now.
   */
  private async claim(id: number, limits: SafetyLimits, nodes: NodeClearance): Promise<boolean> {
    const { lifecycle, settings } = this.ctx;
    // Read just before the claim: an engaged kill switch also stops a drain before each eviction.
    const stopped = await settings.killSwitchRefusal();
    // Leadership lapsed (or the engine began to stop) during the checks: the action stays approved for whoever leads now.
    if (notActing(this.ctx)) {
      return false;
    }
    const now = lifecycle.now();
    return lifecycle.claim(id, limitWindow(limits, now), (action, facts) => {
      const refusal = stopped ?? checkLimits(action, limits, facts, now, 'execution');
      if (refusal) {
        return {
          to: 'blocked',
          changes: { reason: refusal, finishedAt: now },
          notes: [{ kind: 'blocked', message: reasonText(refusal, iso) }],
        };
      }
      const node = isNodeAction(action) ? action.action.node : undefined;
      // One action at a time on a node: only the hold nodeCheck found done with may be taken over, not
      // one another replica claimed since.
      const holder = facts.heldNodes.find((h) => h.node === node && h.actionId !== id);
      if (
        node !== undefined &&
        ((holder !== undefined && holder.actionId !== nodes.takesOver) ||
          facts.heldNodes.filter((h) => h.node !== node).length >= nodes.budget)
      ) {
        return undefined;
      }
      // A paused drain resuming keeps its first start: that is when it counted toward the limits.
      return {
        to: 'executing',
        changes: { startedAt: action.startedAt ?? now, reason: null },
        notes: [{ kind: 'executing', message: `executing ${describeAction(action.action)}` }],
        // The store takes over no hold but the one named here.
        ...(node !== undefined ? { holdNode: node, takesOver: nodes.takesOver } : {}),
      };
    });
  }

  /** An action left executing by a stopped process: reconciled against the cluster, never re-run blindly. */
  recover(left: StoredAction): Promise<void> {
    return this.runner.recover(left);
  }
}
