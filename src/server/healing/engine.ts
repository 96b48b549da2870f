import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type {
  Action,
  AlertIntakeResponse,
  AlertmanagerWebhook,
  ActionState,
  AuditKind,
  DryRunRecord,
  ExecutionResult,
  HealingTrigger,
  KillSwitch,
  KubernetesTestResponse,
  PlannedAction,
  PoliciesResponse,
  Policy,
  Reason,
  SafetyLimits,
  SafetyLimitsResponse,
} from '../../contract/healing';
import { healingTriggerSchema, safetyLimitsSchema } from '../../contract/healing';
import type { Clock, DrainProgress, KubeClient } from '../kubernetes';
import { executeKubeAction, reconcile } from '../kubernetes';
import { call } from '../kubernetes/client';
import type { SettingsRepository } from '../store/store';
import { dryRunRecord, executionResult, isKubeAction, kubeReason, pin, type KubePlannedAction } from './kube';
import { checkLimits } from './limits';
import { HealingMetrics } from './metrics';
import type { Notifier } from './notify';
import { receiveAlerts } from './alerts';
import { DEFAULT_POLICIES, planAction, policyMatches, type Plan } from './policies';
import { ActionRepository, triggerKey, type ActionChanges, type StoredAction } from './store/actions';
import { AuditRepository } from './store/audit';
import { HealingSettings } from './store/settings';

/** The current anomaly score of what triggered an action, in [0, 1]; undefined when unknown. Given by the pipeline. */
export type SignalReader = (trigger: HealingTrigger) => Promise<number | undefined>;

export interface HealingEngineDeps {
  db: Database.Database;
  settings: SettingsRepository;
  /** Absent when the backend runs without Kubernetes: Kubernetes actions are then blocked, saying so. */
  kube?: KubeClient;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  /** From the config file; the store wins once an admin saved policies. Absent: the default policies. */
  policies?: Policy[];
  limits?: SafetyLimits;
  notifier?: Notifier;
  readSignal?: SignalReader;
  /** Feedback for the pipeline: an anomaly an action healed is a confirmed incident. */
  onVerified?: (anomalyId: string, recovered: boolean, actionId: number) => void | Promise<void>;
}

export type DecisionOutcome = { ok: true; action: Action } | { ok: false; kind: 'not-found' | 'conflict' | 'expired'; message: string };

interface AuditNote {
  kind: AuditKind;
  message: string;
  user?: string;
  comment?: string;
  details?: unknown;
}

const iso = (ms: number) => new Date(ms).toISOString();

function describe(action: PlannedAction): string {
  switch (action.type) {
    case 'scale':
      return `scale ${action.target.kind} ${action.target.namespace}/${action.target.name} ${action.replicas !== undefined ? `to ${action.replicas}` : `by ${action.delta}`} (ceiling ${action.ceiling})`;
    case 'restart':
      return `rolling restart of ${action.target.kind} ${action.target.namespace}/${action.target.name}`;
    case 'delete-pod':
      return `delete pod ${action.namespace}/${action.name}`;
    case 'cordon':
    case 'uncordon':
    case 'drain':
      return `${action.type} node ${action.node}`;
    case 'notify':
      return `notify: ${action.message}`;
  }
}

/**
 * The healing engine: matches triggers against policies, proposes actions with a server-side dry
 * run, gates them, executes each approved action exactly once under the safety limits, verifies
 * the outcome and writes everything to the audit log.
 *
 * Exactly once rests on the store: every state change is a conditional update inside a
 * transaction, so of two approvals or two executors only one wins; an action is pinned by its dry
 * run before it runs, and a drain persists its progress after each eviction, so after a crash an
 * `executing` action is reconciled against the cluster (and a drain resumed) instead of re-run.
 * One engine executes per store (several replicas would elect a leader first).
 */
export class HealingEngine {
  readonly actions: ActionRepository;
  readonly audit: AuditRepository;
  private readonly settings: HealingSettings;
  private readonly metrics: HealingMetrics;
  private readonly running = new Map<number, Promise<void>>();
  private ticking?: Promise<void>;
  private tickAgain = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: HealingEngineDeps) {
    this.actions = new ActionRepository(deps.db);
    this.audit = new AuditRepository(deps.db);
    this.settings = new HealingSettings(deps.settings);
    this.metrics = new HealingMetrics(deps.metrics, {
      awaitingApproval: () => this.actions.countInState('awaiting_approval'),
      killSwitchEngaged: () => this.settings.killSwitch().engaged,
    });
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  // ------------------------------------------------------------------------------------------
  // What the pipeline and the alert intake call.

  /** An anomaly or prediction the pipeline found (or found again): proposes what matching policies say. Returns the new action ids. */
  onAnomaly(trigger: HealingTrigger): Promise<number[]> {
    return this.onTrigger({ ...trigger, source: 'anomaly' });
  }

  onAnomalyClosed(anomalyId: string): void {
    this.closeTrigger('anomaly', anomalyId);
  }

  async onTrigger(input: HealingTrigger): Promise<number[]> {
    const trigger = healingTriggerSchema.parse(input);
    const now = this.now();
    const opened = this.deps.db.transaction(() => {
      const result = this.actions.openTrigger(trigger, now);
      if (result.isNew || result.reopened) {
        this.audit.append({
          at: now,
          kind: 'trigger_opened',
          triggerId: trigger.id,
          message: `${trigger.severity} ${trigger.source} ${trigger.id}${result.reopened ? ' fires again' : ''}${trigger.summary ? `: ${trigger.summary}` : ''}`,
          details: trigger,
        });
      }
      return result;
    })();
    const limits = this.limits().limits;
    const proposed: number[] = [];
    for (const policy of this.policies().policies.filter((p) => policyMatches(p, trigger))) {
      const plan = planAction(policy, trigger, limits);
      if (!plan.ok) {
        if (opened.isNew || opened.reopened) {
          this.audit.append({ at: now, kind: 'policy_skipped', triggerId: trigger.id, message: plan.message, details: { policy: policy.name } });
        }
        continue;
      }
      const id = await this.propose(trigger, policy, plan.plan);
      if (id !== undefined) {
        proposed.push(id);
      }
    }
    return proposed;
  }

  /** An Alertmanager or Grafana alerting webhook: firing alerts propose, resolved ones close. */
  onAlerts(payload: AlertmanagerWebhook): Promise<AlertIntakeResponse> {
    return receiveAlerts(this, payload, this.now());
  }

  /** The anomaly closed or the alert resolved: pending actions on it will not run, and verification sees it recovered. */
  closeTrigger(source: HealingTrigger['source'], id: string): boolean {
    const now = this.now();
    return this.deps.db.transaction(() => {
      const closed = this.actions.closeTrigger(triggerKey({ source, id }), now);
      if (closed) {
        this.audit.append({ at: now, kind: 'trigger_closed', triggerId: id, message: `${source} ${id} ${source === 'alert' ? 'resolved' : 'closed'}` });
      }
      return closed;
    })();
  }

  // ------------------------------------------------------------------------------------------
  // Proposal.

  private async propose(trigger: HealingTrigger, policy: Policy, plan: Plan): Promise<number | undefined> {
    const now = this.now();
    const id = this.deps.db.transaction(() => {
      const inserted = this.actions.insert({ triggerKey: triggerKey(trigger), policy: policy.name, gate: policy.gate, action: plan.action, target: plan.target, namespace: plan.namespace, at: now });
      if (inserted !== undefined) {
        this.audit.append({
          at: now,
          kind: 'proposed',
          actionId: inserted,
          triggerId: trigger.id,
          message: `policy ${policy.name} proposes ${describe(plan.action)} (gate: ${policy.gate})`,
          details: { policy: policy.name, gate: policy.gate, action: plan.action },
        });
      }
      return inserted;
    })();
    if (id === undefined) {
      return undefined;
    }
    this.metrics.entered(plan.action.type, 'proposed');
    this.launch(id, () => this.gate(id));
    await this.running.get(id);
    return id;
  }

  /**
   * Checks the limits, dry-runs and applies the policy's gate to a proposed action. Also run by a
   * tick for a proposal a stopped process left half-way. True when the gate approved it (auto).
   */
  private async gate(id: number): Promise<boolean> {
    const action = this.actions.get(id);
    if (action?.state !== 'proposed') {
      return false;
    }
    const limits = this.limits().limits;
    // The policy as it is now; a proposal outliving its policy keeps the gate it was made with.
    const policy = this.policies().policies.find((p) => p.name === action.policy);
    const refusal = checkLimits(action, limits, this.actions, this.now(), 'proposal');
    if (refusal) {
      this.block(action, ['proposed'], refusal);
      return false;
    }
    const dry = await this.dryRun(action);
    if (!dry.record.ok || dry.noop) {
      this.move(action, ['proposed'], 'blocked', { dryRun: dry.record, reason: dry.noop ?? dry.record.error, finishedAt: this.now() }, [
        this.dryRunNote(dry.record),
        { kind: 'blocked', message: (dry.noop ?? dry.record.error)?.message ?? dry.record.summary },
      ]);
      return false;
    }
    const at = this.now();
    const changes: ActionChanges = { dryRun: dry.record, action: dry.pinned };
    switch (action.gate) {
      case 'dry-run':
        this.move(action, ['proposed'], 'dry_run', { ...changes, finishedAt: at }, [this.dryRunNote(dry.record)]);
        return false;
      case 'approve': {
        const expiresAt = at + (policy?.approvalTimeoutSeconds ?? limits.approvalTimeoutSeconds) * 1000;
        this.move(action, ['proposed'], 'awaiting_approval', { ...changes, expiresAt }, [this.dryRunNote(dry.record)]);
        return false;
      }
      case 'auto': {
        const decisions = [{ decision: 'approved' as const, user: `(policy ${action.policy}, gate auto)`, at }];
        return this.move(action, ['proposed'], 'approved', { ...changes, decisions }, [
          this.dryRunNote(dry.record),
          { kind: 'approved', message: `approved automatically by policy ${action.policy}`, user: decisions[0].user },
        ]);
      }
    }
  }

  private dryRunNote(record: DryRunRecord): AuditNote {
    return { kind: 'dry_run', message: record.summary, details: record };
  }

  /** The server-side dry run (or, for a notification, where it would go), and the action pinned by it. */
  private async dryRun(action: StoredAction): Promise<{ record: DryRunRecord; pinned?: PlannedAction; noop?: Reason }> {
    const at = this.now();
    const planned = action.action;
    if (!isKubeAction(planned)) {
      const plan = this.deps.notifier?.plan() ?? { ok: false, summary: 'notifications are not configured' };
      return {
        record: { ok: plan.ok, at, summary: plan.summary, changes: [], ...(plan.ok ? {} : { error: { kind: 'not-configured', message: plan.summary } }) },
      };
    }
    if (!this.deps.kube) {
      const message = 'Kubernetes is not configured: set FP_KUBE_URL and FP_KUBE_TOKEN, KUBECONFIG, or kubernetes: in the config file';
      return { record: { ok: false, at, summary: message, changes: [], error: { kind: 'not-configured', message } } };
    }
    const outcome = await executeKubeAction(this.deps.kube, planned, { dryRun: true });
    const record = dryRunRecord(outcome, at);
    if (!outcome.ok) {
      return { record };
    }
    const result = outcome.value;
    if (result.action === 'scale' && result.from === result.to) {
      const kind = result.clamped === 'ceiling' ? 'replica-ceiling' : 'nothing-to-do';
      const message =
        kind === 'replica-ceiling'
          ? `${action.target} already has ${result.from} replicas, the ceiling: scaling out further is not allowed`
          : `${action.target} already has ${result.to} replicas: nothing to do`;
      return { record, noop: { kind, message } };
    }
    return { record, pinned: pin(planned, result) };
  }

  // ------------------------------------------------------------------------------------------
  // Gates.

  approve(id: number, user: string, comment?: string): DecisionOutcome {
    return this.decide(id, 'approved', user, comment);
  }

  reject(id: number, user: string, comment?: string): DecisionOutcome {
    return this.decide(id, 'rejected', user, comment);
  }

  private decide(id: number, decision: 'approved' | 'rejected', user: string, comment?: string): DecisionOutcome {
    const now = this.now();
    const verb = decision === 'approved' ? 'approve' : 'reject';
    const outcome = this.deps.db
      .transaction((): DecisionOutcome | 'expired' => {
        const action = this.actions.get(id);
        if (!action) {
          return { ok: false, kind: 'not-found', message: `there is no action ${id}` };
        }
        if (action.state === 'awaiting_approval' && action.expiresAt !== undefined && action.expiresAt <= now) {
          return 'expired';
        }
        if (action.state !== 'awaiting_approval') {
          const last = action.decisions[action.decisions.length - 1];
          const by = last ? ` (${last.decision} by ${last.user} at ${iso(last.at)})` : '';
          return { ok: false, kind: 'conflict', message: `action ${id} is ${action.state}${by}; only an action awaiting approval can be ${decision}` };
        }
        const decisions = [...action.decisions, { decision, user, ...(comment ? { comment } : {}), at: now }];
        this.move(action, ['awaiting_approval'], decision, { decisions, ...(decision === 'rejected' ? { finishedAt: now } : {}) }, [
          { kind: decision, message: `${user} ${decision === 'approved' ? 'approved' : 'rejected'} ${describe(action.action)}`, user, comment },
        ]);
        return { ok: true, action: this.mustGet(id) };
      })
      .immediate();
    if (outcome === 'expired') {
      this.expire(id);
      return { ok: false, kind: 'expired', message: `action ${id} expired before it was approved or rejected; nothing will run (tried to ${verb})` };
    }
    if (outcome.ok && decision === 'approved') {
      void this.tick();
    }
    return outcome;
  }

  private expire(id: number): void {
    const action = this.actions.get(id);
    if (action?.state === 'awaiting_approval') {
      const limitSeconds = Math.round(((action.expiresAt ?? 0) - action.createdAt) / 1000);
      this.move(action, ['awaiting_approval'], 'expired', { finishedAt: this.now() }, [
        { kind: 'expired', message: `nobody approved or rejected ${describe(action.action)} within ${limitSeconds}s` },
      ]);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Execution.

  /** Expires stale proposals, executes approved actions, recovers interrupted ones, verifies finished ones. */
  tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.tickAgain = false;
        await this.runTick();
      } while (this.tickAgain);
    })().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Resolves once no tick and no execution is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.ticking || this.running.size > 0) {
      await Promise.all([this.ticking, ...this.running.values()]);
    }
  }

  /** Reconciles what a previous process left executing, then ticks every `intervalMs`. */
  start(intervalMs: number): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.idle();
  }

  private async runTick(): Promise<void> {
    const now = this.now();
    for (const id of this.actions.expiredIds(now)) {
      this.expire(id);
    }
    // A proposal this process is not gating was left half-way by a stopped one.
    for (const id of this.actions.idsInState('proposed')) {
      this.launch(id, () => this.gate(id));
    }
    for (const id of this.actions.idsInState('approved')) {
      this.launch(id, () => this.execute(id));
    }
    // An action executing that this process is not running was interrupted by a crash.
    for (const id of this.actions.idsInState('executing')) {
      this.launch(id, () => this.recover(id));
    }
    for (const id of this.actions.awaitingVerification()) {
      await this.verify(id);
    }
  }

  /** Runs one step of one action, never two at once for the same action; `true` from it asks for another tick (it approved the action). */
  private launch(id: number, run: () => Promise<boolean | void>): void {
    if (this.running.has(id)) {
      return;
    }
    const done = run()
      .catch((err: unknown) => this.deps.logger.error({ err, actionId: id }, 'healing action failed unexpectedly'))
      .then((again) => {
        this.running.delete(id);
        if (again === true) {
          void this.tick();
        }
      });
    this.running.set(id, done);
  }

  /** Why the trigger is no longer true, or undefined when it still is. */
  private async triggerGone(action: StoredAction): Promise<string | undefined> {
    const record = this.actions.trigger(action.triggerKey);
    if (record?.closedAt !== undefined) {
      return `the ${action.trigger.source} ${action.trigger.id} ${action.trigger.source === 'alert' ? 'resolved' : 'closed'} at ${iso(record.closedAt)}, before the action ran`;
    }
    if (this.deps.readSignal && action.trigger.source === 'anomaly') {
      const threshold = this.limits().limits.verification.recoveredBelowScore;
      try {
        const score = await this.deps.readSignal(action.trigger);
        if (score !== undefined && score < threshold) {
          return `the anomaly score of ${action.trigger.id} is now ${score.toFixed(2)}, below ${threshold}: the target recovered before the action ran`;
        }
      } catch (err) {
        this.deps.logger.warn({ err, actionId: action.id }, 'could not re-read the triggering signal; going by the open anomaly');
      }
    }
    return undefined;
  }

  /** For cordon and drain: which held node keeps the budget full, after giving back nodes someone uncordoned. */
  private async nodeBudgetFull(action: StoredAction & { action: { node: string } }, limits: SafetyLimits): Promise<Reason | undefined> {
    const others = () => this.actions.heldNodes().filter((h) => h.node !== action.action.node);
    if (others().length < limits.maxNodesDisrupted) {
      return undefined;
    }
    if (this.deps.kube) {
      for (const held of others()) {
        const holder = this.actions.get(held.actionId);
        if (holder?.state === 'executing') continue;
        const read = await call(this.deps.kube, { verb: 'get', resource: 'nodes', group: '', name: held.node }, (o) => this.deps.kube!.core.readNode({ name: held.node }, o));
        if ((read.ok && read.value.spec?.unschedulable !== true) || (!read.ok && read.error.kind === 'not-found')) {
          this.actions.releaseNode(held.node);
        }
      }
    }
    const full = others();
    return full.length >= limits.maxNodesDisrupted
      ? {
          kind: 'node-budget',
          message: `waiting: ${full.map((h) => `node ${h.node} (action ${h.actionId})`).join(', ')} already cordoned or draining; at most ${limits.maxNodesDisrupted} at a time`,
        }
      : undefined;
  }

  private async execute(id: number): Promise<void> {
    const action = this.actions.get(id);
    if (action?.state !== 'approved') {
      return;
    }
    const limits = this.limits().limits;
    const killSwitch = this.settings.killSwitch();
    if (killSwitch.engaged) {
      this.block(action, ['approved'], this.killSwitchReason(killSwitch));
      return;
    }
    const gone = await this.triggerGone(action);
    if (gone) {
      this.move(action, ['approved'], 'cancelled', { reason: { kind: 'trigger-resolved', message: gone }, finishedAt: this.now() }, [{ kind: 'cancelled', message: gone }]);
      return;
    }
    const planned = action.action;
    if ((planned.type === 'cordon' || planned.type === 'drain') && (await this.waitForNodeBudget(action as StoredAction & { action: { node: string } }, limits))) {
      return;
    }
    if (isKubeAction(planned)) {
      // The proposal's dry run may be hours old: check again that the cluster accepts it now.
      const dry = await this.dryRun(action);
      if (!dry.record.ok || dry.noop) {
        const reason = dry.noop ?? { ...dry.record.error!, kind: 'dry-run-failed' as const };
        this.move(action, ['approved'], dry.noop ? 'cancelled' : 'blocked', { dryRun: dry.record, reason, finishedAt: this.now() }, [
          this.dryRunNote(dry.record),
          { kind: dry.noop ? 'cancelled' : 'blocked', message: reason.message },
        ]);
        return;
      }
    }
    if (!this.claim(id, limits)) {
      return;
    }
    await this.run(this.mustGet(id));
  }

  private async waitForNodeBudget(action: StoredAction & { action: { node: string } }, limits: SafetyLimits): Promise<boolean> {
    const waiting = await this.nodeBudgetFull(action, limits);
    if (waiting && action.reason?.message !== waiting.message) {
      this.deps.db.transaction(() => {
        this.actions.setReason(action.id, waiting, this.now());
        this.audit.append({ at: this.now(), kind: 'waiting', actionId: action.id, triggerId: action.trigger.id, message: waiting.message });
      })();
      this.metrics.refused('node-budget');
    }
    return waiting !== undefined;
  }

  /** Moves approved → executing inside one write transaction, after checking every limit again; false when it must not run now. */
  private claim(id: number, limits: SafetyLimits): boolean {
    return this.deps.db
      .transaction((): boolean => {
        const now = this.now();
        const action = this.actions.get(id);
        if (action?.state !== 'approved') {
          return false;
        }
        const killSwitch = this.settings.killSwitch();
        const refusal = killSwitch.engaged ? this.killSwitchReason(killSwitch) : checkLimits(action, limits, this.actions, now, 'execution');
        if (refusal) {
          this.block(action, ['approved'], refusal);
          return false;
        }
        const planned = action.action;
        if (planned.type === 'cordon' || planned.type === 'drain') {
          const others = this.actions.heldNodes().filter((h) => h.node !== planned.node);
          if (others.length >= limits.maxNodesDisrupted) {
            return false;
          }
          this.actions.holdNode(planned.node, id, now);
        }
        return this.move(action, ['approved'], 'executing', { startedAt: now, reason: null }, [{ kind: 'executing', message: `executing ${describe(planned)}` }]);
      })
      .immediate();
  }

  /** Runs a claimed action (or resumes an interrupted drain) and records the outcome. */
  private async run(action: StoredAction): Promise<void> {
    const startedAt = this.now();
    const planned = action.action;
    let result: ExecutionResult;
    if (!isKubeAction(planned)) {
      result = this.deps.notifier
        ? await this.deps.notifier.send({ actionId: action.id, message: planned.message, trigger: action.trigger, at: startedAt })
        : { ok: false, summary: 'notifications are not configured', error: { kind: 'not-configured', message: 'notifications are not configured' } };
    } else if (!this.deps.kube) {
      result = { ok: false, summary: 'Kubernetes is not configured', error: { kind: 'not-configured', message: 'Kubernetes is not configured' } };
    } else {
      const outcome = await executeKubeAction(this.deps.kube, planned, {
        resume: action.progress,
        onProgress: (progress: DrainProgress) => this.actions.setProgress(action.id, progress, this.now()),
      });
      result = executionResult(outcome);
      this.audit.append({
        at: this.now(),
        kind: 'kubernetes',
        actionId: action.id,
        triggerId: action.trigger.id,
        message: `Kubernetes ${outcome.ok ? 'accepted' : 'answered with an error'}: ${result.summary}`,
        details: outcome,
      });
    }
    this.metrics.executed(planned.type, result.ok, (this.now() - startedAt) / 1000);
    this.finish(action, result);
  }

  private finish(action: StoredAction, result: ExecutionResult): void {
    const planned = action.action;
    this.deps.db.transaction(() => {
      const moved = this.move(action, ['executing'], result.ok ? 'succeeded' : 'failed', { result, finishedAt: this.now(), ...(result.error ? { reason: result.error } : {}) }, [
        { kind: result.ok ? 'succeeded' : 'failed', message: result.summary, details: result.error },
      ]);
      if (!moved) return;
      // The node budget: a node stays held while the engine keeps it cordoned.
      if (planned.type === 'uncordon' && result.ok) {
        this.actions.releaseNode(planned.node);
      }
      if ((planned.type === 'drain' || planned.type === 'cordon') && !result.ok) {
        const report = result.details as { uncordoned?: boolean; cordonedByDrain?: boolean } | undefined;
        if (!report || report.uncordoned || !report.cordonedByDrain) {
          this.actions.releaseNode(planned.node);
        }
      }
    })();
  }

  /** An action left executing by a stopped process: reconcile it against the cluster, never re-run it blindly. */
  private async recover(id: number): Promise<void> {
    const action = this.actions.get(id);
    if (action?.state !== 'executing') {
      return;
    }
    const planned = action.action;
    if (!isKubeAction(planned)) {
      this.finish(action, {
        ok: false,
        summary: 'the backend stopped while sending this notification; it may or may not have been delivered, and is not sent again',
        error: { kind: 'reconcile', message: 'interrupted while notifying' },
      });
      return;
    }
    // Left executing while the kill switch is engaged: a half-done drain is not resumed.
    if (!this.deps.kube || this.settings.killSwitch().engaged) {
      return;
    }
    const seen = await reconcile(this.deps.kube, planned);
    if (!seen.ok) {
      // Left executing: the next tick tries again once Kubernetes answers.
      this.deps.logger.warn({ actionId: id, error: seen.error }, 'cannot reconcile an interrupted action yet');
      return;
    }
    const { state, observed } = seen.value;
    this.audit.append({ at: this.now(), kind: 'reconciled', actionId: id, triggerId: action.trigger.id, message: `after a restart: ${observed} (${state})`, details: seen.value });
    if (state === 'done') {
      this.finish(action, { ok: true, summary: `already done when reconciled after a restart: ${observed}`, details: seen.value });
    } else if (state === 'not-done') {
      await this.run(action);
    } else {
      this.finish(action, {
        ok: false,
        summary: `interrupted by a restart and cannot tell whether it ran: ${observed}; check it and act by hand`,
        error: { kind: 'reconcile', message: observed },
      });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Verification.

  private async verify(id: number): Promise<void> {
    const action = this.actions.get(id);
    if (action?.state !== 'succeeded' || action.finishedAt === undefined) {
      return;
    }
    const { settleSeconds, windowSeconds, recoveredBelowScore } = this.limits().limits.verification;
    const now = this.now();
    if (now < action.finishedAt + settleSeconds * 1000) {
      return;
    }
    const record = this.actions.trigger(action.triggerKey);
    let recovered: { message: string; score?: number } | undefined;
    if (record?.closedAt !== undefined) {
      recovered = { message: `the ${action.trigger.source} ${action.trigger.source === 'alert' ? 'resolved' : 'closed'} at ${iso(record.closedAt)}` };
    } else if (this.deps.readSignal && action.trigger.source === 'anomaly') {
      try {
        const score = await this.deps.readSignal(action.trigger);
        if (score !== undefined && score < recoveredBelowScore) {
          recovered = { message: `the anomaly score fell to ${score.toFixed(2)}, below ${recoveredBelowScore}`, score };
        }
      } catch (err) {
        this.deps.logger.warn({ err, actionId: id }, 'could not read the triggering signal for verification');
      }
    }
    const expired = now >= action.finishedAt + windowSeconds * 1000;
    if (!recovered && !expired) {
      return;
    }
    const verification = recovered
      ? { recovered: true, message: recovered.message, at: now, ...(recovered.score !== undefined ? { score: recovered.score } : {}) }
      : { recovered: false, message: `the triggering signal did not recover within ${windowSeconds}s after the action`, at: now };
    const to = recovered ? 'verified' : 'not_recovered';
    if (this.move(action, ['succeeded'], to, { verification }, [{ kind: to, message: verification.message }]) && action.trigger.source === 'anomaly' && this.deps.onVerified) {
      try {
        await this.deps.onVerified(action.trigger.id, verification.recovered, action.id);
      } catch (err) {
        this.deps.logger.warn({ err, actionId: id }, 'the pipeline did not take the verification feedback');
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // State changes: each one a conditional update with its audit entries, in one transaction.

  private move(action: StoredAction, from: ActionState[], to: ActionState, changes: ActionChanges, notes: AuditNote[]): boolean {
    const moved = this.deps.db.transaction(() => {
      const at = this.now();
      if (!this.actions.transition(action.id, from, to, at, changes)) {
        return false;
      }
      for (const note of notes) {
        this.audit.append({ at, actionId: action.id, triggerId: action.trigger.id, ...note });
      }
      return true;
    })();
    if (moved) {
      this.metrics.entered(action.action.type, to);
      if (to === 'blocked' && changes.reason) {
        this.metrics.refused(changes.reason.kind);
      }
    }
    return moved;
  }

  private block(action: StoredAction, from: ActionState[], reason: Reason): boolean {
    return this.move(action, from, 'blocked', { reason, finishedAt: this.now() }, [{ kind: 'blocked', message: reason.message }]);
  }

  private killSwitchReason(ks: KillSwitch): Reason {
    const by = ks.changedBy ? ` by ${ks.changedBy}` : '';
    const when = ks.changedAt ? ` at ${iso(ks.changedAt)}` : '';
    return { kind: 'kill-switch', message: `the kill switch is engaged${by}${when}${ks.reason ? `: ${ks.reason}` : ''}; nothing executes` };
  }

  private mustGet(id: number): StoredAction {
    const action = this.actions.get(id);
    if (!action) {
      throw new Error(`action ${id} vanished from the store`);
    }
    return action;
  }

  // ------------------------------------------------------------------------------------------
  // Settings.

  policies(): PoliciesResponse {
    const saved = this.settings.policies();
    if (saved) {
      return { policies: saved.value, source: 'store', updatedAt: saved.updatedAt, ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}) };
    }
    return this.deps.policies ? { policies: this.deps.policies, source: 'config' } : { policies: DEFAULT_POLICIES, source: 'default' };
  }

  setPolicies(policies: Policy[], user: string): PoliciesResponse {
    const at = this.now();
    const before = this.policies().policies.map((p) => p.name);
    this.deps.db.transaction(() => {
      this.settings.setPolicies(policies, at, user);
      this.audit.append({
        at,
        kind: 'policies_changed',
        user,
        message: `${user} saved ${policies.length} policies (${policies.map((p) => `${p.name}: ${p.action.type}, gate ${p.gate}`).join('; ')})`,
        details: { before, after: policies },
      });
    })();
    return this.policies();
  }

  limits(): SafetyLimitsResponse {
    const saved = this.settings.limits();
    if (saved) {
      return { limits: saved.value, source: 'store', updatedAt: saved.updatedAt, ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}) };
    }
    return this.deps.limits ? { limits: this.deps.limits, source: 'config' } : { limits: safetyLimitsSchema.parse({}), source: 'default' };
  }

  setLimits(limits: SafetyLimits, user: string): SafetyLimitsResponse {
    const at = this.now();
    const before = this.limits().limits;
    this.deps.db.transaction(() => {
      this.settings.setLimits(limits, at, user);
      this.audit.append({ at, kind: 'limits_changed', user, message: `${user} changed the safety limits`, details: { before, after: limits } });
    })();
    return this.limits();
  }

  killSwitch(): KillSwitch {
    return this.settings.killSwitch();
  }

  setKillSwitch(engaged: boolean, user: string, reason?: string): KillSwitch {
    const at = this.now();
    const value: KillSwitch = { engaged, changedBy: user, changedAt: at, ...(reason ? { reason } : {}) };
    this.deps.db.transaction(() => {
      this.settings.setKillSwitch(value);
      this.audit.append({
        at,
        kind: 'kill_switch',
        user,
        comment: reason,
        message: engaged ? `${user} engaged the kill switch: nothing executes until it is released` : `${user} released the kill switch`,
      });
    })();
    return value;
  }

  /** Answers in words whether Kubernetes is reachable, and whether it accepts a server-side dry run of `action`. */
  async testKubernetes(action?: PlannedAction): Promise<KubernetesTestResponse> {
    const kube = this.deps.kube;
    if (!kube) {
      return { ok: false, message: 'Kubernetes is not configured: set FP_KUBE_URL and FP_KUBE_TOKEN, KUBECONFIG, or kubernetes: in the config file, or run the backend in a cluster' };
    }
    if (action && isKubeAction(action)) {
      const outcome = await executeKubeAction(kube, action as KubePlannedAction, { dryRun: true });
      return outcome.ok
        ? { ok: true, message: `Kubernetes at ${kube.server} accepts a server-side dry run: ${outcome.value.summary}` }
        : { ok: false, message: `Kubernetes at ${kube.server} refused the dry run: ${kubeReason(outcome.error).message}` };
    }
    const listed = await call(kube, { verb: 'list', resource: 'pods', group: '' }, (o) => kube.core.listPodForAllNamespaces({ limit: 1 }, o));
    return listed.ok
      ? { ok: true, message: `Kubernetes at ${kube.server} answers and the service account can list pods; send an action to test a dry run of it` }
      : { ok: false, message: listed.error.message };
  }
}
