import { reasonText, type ExecutionResult } from '../../contract/healing';
import { iso } from './lifecycle';
import { executeKubeAction, reconcile, type DrainProgress } from '../kubernetes';
import type { KubeClient } from '../kubernetes/client';
import type { EngineContext } from './context';
import { claimFenceMs } from './claimFence';
import { cordonOwner } from './cordonOwner';
import { notActing, notConfigured, type ExecutionRecords } from './executionRecords';
import { approvedAutomatically } from './holds';
import { executionResult, isKubeAction } from './kube';
import { checkLimits, limitWindow } from './limits';
import { isNodeAction } from './nodeCheck';
import type { NotifyAttempts } from './notifyAttempts';
import { withdraw } from './policyChange';
import type { StoredAction } from './store/actionRows';

/**
 * Runs a claimed action by its kind (a notification, or a Kubernetes change with its progress
 * persisted) and records the outcome; reconciles what a stopped process left executing.
 */
export class ActionRunner {
  constructor(
    private readonly ctx: EngineContext,
    private readonly records: ExecutionRecords,
    private readonly notifications: NotifyAttempts
  ) {}

  private get lifecycle() {
    return this.ctx.lifecycle;
  }

  /** Why automation no longer holds for this action, with since when (a drain's summary and the audit are logs). */
  private async pausingText(action: StoredAction): Promise<string | undefined> {
    const reason = await this.ctx.holds.pausing(action);
    return reason && reasonText(reason, iso);
  }

  private async evictionPolicy(action: StoredAction) {
    return this.ctx.holds.evictions(action, (await this.ctx.settings.limits()).limits);
  }

  /**
   * The claim read the kill switch a store round trip before its write (with PostgreSQL, another
   * replica may have engaged it meanwhile): read once more right before the first change to the
   * cluster; engaged, the claimed action ends blocked and gives back the node it held. A resumed
   * drain asks before each eviction instead.
   */
  private async stoppedSinceClaim(action: StoredAction): Promise<boolean> {
    const stopped = action.progress ? undefined : await this.ctx.settings.killSwitchRefusal();
    if (!stopped) {
      return false;
    }
    await this.lifecycle.block(
      action,
      ['executing'],
      stopped,
      isNodeAction(action) ? { releaseNode: action.action.node } : {}
    );
    return true;
  }

  /** Runs a claimed action (or resumes an interrupted drain) and records the outcome. */
  async run(action: StoredAction, kube: KubeClient | undefined): Promise<void> {
    const { lifecycle, records } = this;
    const startedAt = lifecycle.now();
    const planned = action.action;
    if (!isKubeAction(planned)) {
      // Sent, and retried while a receiver fails, attempt by attempt (notifyAttempts.ts).
      await this.notifications.attempt(action);
      return;
    }
    let result: ExecutionResult;
    if (!kube) {
      result = notConfigured('Kubernetes is');
    } else if (await this.stoppedSinceClaim(action)) {
      return;
    } else {
      const outcome = await executeKubeAction(kube, planned, {
        // Named on the node with its cordon: after a crash before the progress is saved, still known as its own.
        owner: cordonOwner(action),
        resume: action.progress,
        // Persisted before the next eviction: a restart resumes from here instead of evicting again.
        onProgress: (progress: DrainProgress) => lifecycle.actions.setProgress(action.id, progress, lifecycle.now()),
        // The kill switch stops a running drain before its next eviction.
        shouldStop: async () => {
          const stopped = await this.ctx.settings.killSwitchRefusal();
          return stopped && reasonText(stopped, iso);
        },
        // A drain pauses when this replica stops or stops leading (the next leader resumes it), and
        // an automatic one when automation stops holding (its window closed, a storm), to resume
        // from its progress when it holds again.
        shouldPause: async () =>
          notActing(this.ctx) ?? (approvedAutomatically(action) ? await this.pausingText(action) : undefined),
        // The namespace limits as they are now hold for every pod a drain would evict, and for an
        // automatic drain the namespace pauses too.
        mayEvict: await this.evictionPolicy(action),
      });
      result = executionResult(outcome);
      await lifecycle.audit.append({
        at: lifecycle.now(),
        kind: 'kubernetes',
        actionId: action.id,
        triggerId: action.trigger.id,
        message: `Kubernetes ${outcome.ok ? 'accepted' : 'answered with an error'}: ${result.summary}`,
        details: outcome,
      });
      if (!outcome.ok && outcome.error.kind === 'paused') {
        // Left executing, cordon and progress kept: the leader reconciles it and resumes the drain.
        if (notActing(this.ctx)) {
          this.ctx.deps.logger.warn({ actionId: action.id }, result.summary);
          await this.leave(action);
          return;
        }
        await records.pause(action, result.summary);
        return;
      }
      // Changed between the last check and the write (the pinned count or pod no longer there): nothing was changed.
      if (!outcome.ok && outcome.error.kind === 'changed') {
        lifecycle.metrics.executed(planned.type, false, (lifecycle.now() - startedAt) / 1000);
        await records.supersede(action, ['executing'], outcome.error.message);
        return;
      }
    }
    lifecycle.metrics.executed(planned.type, result.ok, (lifecycle.now() - startedAt) / 1000);
    await records.finish(action, result);
  }

  /**
   * Leaves an action executing for the next leader, its claim cleared: this step has ended, so no
   * request of this replica on it can land any more (what client-go's ReleaseOnCancel asks before a
   * lease is given up). A crashed replica never gets here: its claim stays, and the next leader
   * waits for the claim fence.
   */
  private async leave(action: StoredAction): Promise<void> {
    try {
      await this.lifecycle.actions.releaseClaim(action.id, this.lifecycle.now());
    } catch (err) {
      // The claim stays, which is the safe side: the next leader treats it as a crashed leader's.
      const { election, logger } = this.ctx.deps;
      const fence = election && claimFenceMs(election.leaseDurationMs, this.ctx.kube()?.requestTimeoutMs ?? 0);
      logger.warn(
        { err, actionId: action.id },
        `could not release this replica's claim on action ${action.id} (left executing): the next leader resumes it ${
          fence === undefined ? 'at its start' : `once it has waited the claim fence (${fence / 1000} s)`
        }`
      );
    }
  }

  /**
   * Whether an interrupted action not done yet may still run, by the limits and the policies as they
   * are now (an Admin may have denied its namespace, lowered the ceiling or changed its policy since it
   * was claimed); if not, it ends blocked or cancelled with the reason and nothing runs. It counted
   * toward the cooldown and hourly limits when it was claimed, so those are not counted again.
   */
  private async stillAllowed(action: StoredAction): Promise<boolean> {
    const { lifecycle, settings } = this.ctx;
    const limits = (await settings.limits()).limits;
    const now = lifecycle.now();
    const facts = await lifecycle.actions.limitFacts(action, limitWindow(limits, now));
    const refused = checkLimits(action, limits, facts, now, 'execution');
    if (refused) {
      const message = `not resumed after a restart: ${reasonText(refused, iso)}`;
      await lifecycle.move(action, ['executing'], 'blocked', { reason: refused, finishedAt: now }, [
        { kind: 'blocked', message },
      ]);
      return false;
    }
    return (await withdraw(this.ctx, action, limits)) === undefined;
  }

  /**
   * An action left executing by a stopped process: a Kubernetes change reconciled against the
   * cluster, never re-run blindly; a notification retried, since sending it twice beats never.
   */
  async recover(left: StoredAction): Promise<void> {
    const { lifecycle, records } = this;
    const { deps, settings } = this.ctx;
    const { id } = left;
    // Claimed for this process only as it was read: a claimant that wrote since still acts on it.
    if (!(await lifecycle.actions.takeOver(left, lifecycle.now()))) {
      return;
    }
    const kube = this.ctx.kube();
    const action = await lifecycle.actions.get(id);
    if (action?.state !== 'executing') {
      return;
    }
    const planned = action.action;
    if (!isKubeAction(planned)) {
      // Counted as an attempt and sent again after the back-off, as a failed attempt is (the kill
      // switch, a pause, its trigger closing or its policy changing stop it before the next one).
      await this.notifications.interrupted(action);
      return;
    }
    // Left executing while the kill switch is engaged: a half-done drain is not resumed.
    if (!kube || (await settings.killSwitchRefusal())) {
      return;
    }
    const seen = await reconcile(kube, planned, await this.evictionPolicy(action));
    // The reads took a while: only a replica that still leads may act on what they found.
    if (notActing(this.ctx)) {
      await this.leave(action);
      return;
    }
    if (!seen.ok) {
      // Stays executing: the next tick tries again once Kubernetes answers.
      deps.logger.warn({ actionId: id, error: seen.error }, 'cannot reconcile an interrupted action yet');
      return;
    }
    const { state, observed } = seen.value;
    await lifecycle.audit.append({
      at: lifecycle.now(),
      kind: 'reconciled',
      actionId: id,
      triggerId: action.trigger.id,
      message: `after a restart: ${observed} (${state})`,
      details: seen.value,
    });
    if (state === 'done') {
      await records.finish(action, {
        ok: true,
        summary: `already done when reconciled after a restart: ${observed}`,
        details: seen.value,
      });
    } else if (state === 'not-done') {
      if (!(await this.stillAllowed(action))) {
        return;
      }
      await this.run(action, kube);
    } else {
      await records.finish(action, {
        ok: false,
        summary: `interrupted by a restart and cannot tell whether it ran: ${observed}; check it and act by hand`,
        error: { kind: 'reconcile', message: observed },
      });
    }
  }
}
