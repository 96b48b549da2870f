import { z } from 'zod';
import type { ActionState, DryRunRecord, ExecutionResult, Reason, SafetyLimits } from '../../contract/healing';
import { executeKubeAction, reconcile, type DrainProgress } from '../kubernetes';
import type { KubeClient } from '../kubernetes/client';
import { supersededBecause } from './approved';
import type { EngineContext } from './context';
import { checkWorkload } from './disruption';
import { isNodeAction, nodeCheck } from './nodeCheck';
import { dryRunAction } from './dryRun';
import { approvedAutomatically } from './holds';
import { executionResult, isKubeAction } from './kube';
import { iso } from './lifecycle';
import { checkLimits, evictionPolicy, limitWindow } from './limits';
import { describeAction } from './policies';
import type { StoredAction } from './store/actionRows';

/** What a failed drain or cordon reports about the node: whether it is still cordoned by the engine. */
const drainEndSchema = z.object({ uncordoned: z.boolean().optional(), cordonedByDrain: z.boolean().optional() });

/**
 * Runs approved actions exactly once: re-checks what must still be true, claims the action in a
 * write transaction that checks every limit again, runs it with its progress persisted, records
 * the outcome; reconciles what a stopped process left executing (verify.ts verifies what succeeded).
 *
 * Each step reads the Kubernetes client once when it starts and uses that one to the end, so an
 * Admin changing Kubernetes access meanwhile never splits a step across two clusters.
 */
export class Executor {
  constructor(private readonly ctx: EngineContext) {}

  private get lifecycle() {
    return this.ctx.lifecycle;
  }

  /**
   * Whether this replica may still act: a leader past its renew deadline stops before the next
   * change (a claim, an eviction), since another replica may take over once its lease expires.
   */
  private notLeading(): string | undefined {
    const { leads } = this.ctx.deps;
    return leads && !leads() ? 'this replica no longer leads (it could not renew its leadership in time)' : undefined;
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
    // Approved by the gate, not a person: it runs only while automation holds (no pause, storm, window or silence).
    if (approvedAutomatically(action) && (await this.wait(action, await this.ctx.holds.refusal(action)))) {
      return;
    }
    // The limit checks and the change they allow run one at a time per workload namespace (and for
    // the nodes), so two actions cannot both pass one snapshot of the Ready counts.
    const planned = action.action;
    if (isNodeAction(action)) {
      if (await this.ctx.serial.run('nodes', () => this.prepare(action, limits, kube))) {
        await this.run(await lifecycle.get(id), kube);
      }
    } else if (planned.type === 'restart' || planned.type === 'delete-pod') {
      await this.ctx.serial.run(`workloads in ${action.namespace ?? ''}`, async () => {
        if (await this.prepare(action, limits, kube)) {
          await this.run(await lifecycle.get(id), kube);
        }
      });
    } else if (await this.prepare(action, limits, kube)) {
      await this.run(await lifecycle.get(id), kube);
    }
  }

  /** The limits read from the cluster, the fresh dry run, then the claim: true when the action may run now. */
  private async prepare(action: StoredAction, limits: SafetyLimits, kube: KubeClient | undefined): Promise<boolean> {
    const { lifecycle, deps } = this.ctx;
    let budget = limits.maxNodesDisrupted;
    if (isNodeAction(action)) {
      const nodes = await nodeCheck(lifecycle.actions, action, limits, kube);
      if (await this.wait(action, 'wait' in nodes ? nodes.wait : undefined)) {
        return false;
      }
      budget = 'budget' in nodes ? nodes.budget : budget;
    }
    if (kube && (await this.wait(action, await checkWorkload(kube, action.action, limits)))) {
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
        await evictionPolicy(limits, lifecycle.actions, lifecycle.now())
      );
      // A paused drain resuming finds its own cordon and evictions: that is not someone else's change.
      const changed = action.progress ? undefined : supersededBecause(action, dry);
      if (changed) {
        await this.supersede(action, ['approved'], changed, dry.record);
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
    return this.claim(action.id, limits, budget);
  }

  /**
   * The cluster changed since the approval: the action is not run, it is recorded superseded with
   * what changed, and proposed again from what the cluster is now when its policy still applies.
   */
  private async supersede(action: StoredAction, from: ActionState[], message: string, dryRun?: DryRunRecord) {
    const { lifecycle } = this;
    const moved = await lifecycle.move(
      action,
      from,
      'superseded',
      { reason: { kind: 'superseded', message }, finishedAt: lifecycle.now(), ...(dryRun ? { dryRun } : {}) },
      [
        ...(dryRun ? [{ kind: 'dry_run' as const, message: dryRun.summary, details: dryRun }] : []),
        { kind: 'superseded', message },
      ]
    );
    if (moved) {
      const next = await this.ctx.repropose(await lifecycle.get(action.id));
      await lifecycle.actions.setReason(
        action.id,
        { kind: 'superseded', message: `${message}; ${next}` },
        lifecycle.now()
      );
    }
  }

  private async evictionPolicy() {
    return evictionPolicy((await this.ctx.settings.limits()).limits, this.lifecycle.actions, this.lifecycle.now());
  }

  /** Why the trigger is no longer true, or undefined when it still is. */
  private async triggerGone(action: StoredAction): Promise<string | undefined> {
    const { deps, settings } = this.ctx;
    const { trigger } = action;
    const record = await this.lifecycle.actions.trigger(action.triggerKey);
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

  /** True when it must wait: the action stays approved and says what it waits for (audited once per change). */
  private async wait(action: StoredAction, waiting: Reason | undefined): Promise<boolean> {
    const { lifecycle } = this;
    if (waiting && action.reason?.message !== waiting.message) {
      const at = lifecycle.now();
      await lifecycle.actions.setReason(action.id, waiting, at, {
        at,
        kind: 'waiting',
        actionId: action.id,
        triggerId: action.trigger.id,
        message: waiting.message,
      });
      lifecycle.metrics.refused(waiting.kind);
    }
    return waiting !== undefined;
  }

  /**
   * Moves approved → executing in one claim of the store (one at a time across every process),
   * after checking every limit again against what the claim reads; false when it must not run now.
   */
  private async claim(id: number, limits: SafetyLimits, nodeBudget: number): Promise<boolean> {
    const { lifecycle, settings } = this.ctx;
    // Read just before the claim: an engaged kill switch also stops a drain before each eviction.
    const stopped = await settings.killSwitchRefusal();
    // Leadership lapsed during the checks: the action stays approved for whoever leads now.
    if (this.notLeading()) {
      return false;
    }
    const now = lifecycle.now();
    return lifecycle.claim(id, limitWindow(limits, now), (action, facts) => {
      const refusal = stopped ?? checkLimits(action, limits, facts, now, 'execution');
      if (refusal) {
        return {
          to: 'blocked',
          changes: { reason: refusal, finishedAt: now },
          notes: [{ kind: 'blocked', message: refusal.message }],
        };
      }
      const node = isNodeAction(action) ? action.action.node : undefined;
      if (node !== undefined && facts.heldNodes.filter((h) => h.node !== node).length >= nodeBudget) {
        return undefined;
      }
      // A paused drain resuming keeps its first start: that is when it counted toward the limits.
      return {
        to: 'executing',
        changes: { startedAt: action.startedAt ?? now, reason: null },
        notes: [{ kind: 'executing', message: `executing ${describeAction(action.action)}` }],
        ...(node !== undefined ? { holdNode: node } : {}),
      };
    });
  }

  /** Runs a claimed action (or resumes an interrupted drain) and records the outcome. */
  private async run(action: StoredAction, kube: KubeClient | undefined): Promise<void> {
    const { lifecycle } = this;
    const { notifier } = this.ctx.deps;
    const startedAt = lifecycle.now();
    const planned = action.action;
    const notConfigured = (what: string): ExecutionResult => ({
      ok: false,
      summary: `${what} not configured`,
      error: { kind: 'not-configured', message: `${what} not configured` },
    });
    let result: ExecutionResult;
    if (!isKubeAction(planned)) {
      result = notifier
        ? await notifier.send({ actionId: action.id, message: planned.message, trigger: action.trigger, at: startedAt })
        : notConfigured('notifications are');
    } else if (!kube) {
      result = notConfigured('Kubernetes is');
    } else {
      const outcome = await executeKubeAction(kube, planned, {
        resume: action.progress,
        // Persisted before the next eviction: a restart resumes from here instead of evicting again.
        onProgress: (progress: DrainProgress) => lifecycle.actions.setProgress(action.id, progress, lifecycle.now()),
        // The kill switch stops a running drain before its next eviction.
        shouldStop: async () => (await this.ctx.settings.killSwitchRefusal())?.message,
        // A drain pauses when this replica stops leading (the next leader resumes it), and an
        // automatic one when automation stops holding (its window closed, a storm, a paused
        // namespace), to resume from its progress when it holds again.
        shouldPause: async () =>
          this.notLeading() ??
          (approvedAutomatically(action) ? (await this.ctx.holds.pausing(action))?.message : undefined),
        // The namespace limits as they are now hold for every pod a drain would evict.
        mayEvict: await this.evictionPolicy(),
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
        if (this.notLeading()) {
          this.ctx.deps.logger.warn({ actionId: action.id }, result.summary);
          return;
        }
        await this.pause(action, result.summary);
        return;
      }
      // Changed between the last check and the write (the pinned count or pod no longer there): nothing was changed.
      if (!outcome.ok && outcome.error.kind === 'changed') {
        lifecycle.metrics.executed(planned.type, false, (lifecycle.now() - startedAt) / 1000);
        await this.supersede(action, ['executing'], outcome.error.message);
        return;
      }
    }
    lifecycle.metrics.executed(planned.type, result.ok, (lifecycle.now() - startedAt) / 1000);
    await this.finish(action, result);
  }

  /** Stopped at a safe point: back to approved with its progress and its node held, to resume when automation holds again. */
  private async pause(action: StoredAction, summary: string): Promise<void> {
    const { lifecycle } = this;
    const reason = (await this.ctx.holds.pausing(action)) ?? { kind: 'outside-window' as const, message: summary };
    await lifecycle.move(action, ['executing'], 'approved', { reason }, [{ kind: 'paused', message: summary }]);
  }

  private async finish(action: StoredAction, result: ExecutionResult): Promise<void> {
    const planned = action.action;
    // The node budget: a node stays held while the engine keeps it cordoned; given back in the
    // transaction that records the outcome.
    let releaseNode: string | undefined;
    if (planned.type === 'uncordon' && result.ok) {
      releaseNode = planned.node;
    }
    if ((planned.type === 'drain' || planned.type === 'cordon') && !result.ok) {
      const report = drainEndSchema.safeParse(result.details);
      if (!report.success || report.data.uncordoned || !report.data.cordonedByDrain) {
        releaseNode = planned.node;
      }
    }
    await this.lifecycle.move(
      action,
      ['executing'],
      result.ok ? 'succeeded' : 'failed',
      { result, finishedAt: this.lifecycle.now(), ...(result.error ? { reason: result.error } : {}) },
      [{ kind: result.ok ? 'succeeded' : 'failed', message: result.summary, details: result.error }],
      releaseNode !== undefined ? { releaseNode } : {}
    );
  }

  /** An action left executing by a stopped process: reconciled against the cluster, never re-run blindly. */
  async recover(id: number): Promise<void> {
    const { lifecycle } = this;
    const { deps, settings } = this.ctx;
    const kube = this.ctx.kube();
    const action = await lifecycle.actions.get(id);
    if (action?.state !== 'executing') {
      return;
    }
    const planned = action.action;
    if (!isKubeAction(planned)) {
      await this.finish(action, {
        ok: false,
        summary:
          'the backend stopped while sending this notification; it may or may not have been delivered, and is not sent again',
        error: { kind: 'reconcile', message: 'interrupted while notifying' },
      });
      return;
    }
    // Left executing while the kill switch is engaged: a half-done drain is not resumed.
    if (!kube || (await settings.killSwitchRefusal())) {
      return;
    }
    const seen = await reconcile(kube, planned, await this.evictionPolicy());
    // The reads took a while: only a replica that still leads may act on what they found.
    if (this.notLeading()) {
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
      await this.finish(action, {
        ok: true,
        summary: `already done when reconciled after a restart: ${observed}`,
        details: seen.value,
      });
    } else if (state === 'not-done') {
      await this.run(action, kube);
    } else {
      await this.finish(action, {
        ok: false,
        summary: `interrupted by a restart and cannot tell whether it ran: ${observed}; check it and act by hand`,
        error: { kind: 'reconcile', message: observed },
      });
    }
  }
}
