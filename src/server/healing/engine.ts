import {
  healingTriggerSchema,
  type AlertIntakeResponse,
  type AlertmanagerWebhook,
  type Breaker,
  type AnomalyTrigger,
  type HealingTrigger,
  type TriggerRef,
  type KubernetesTestResponse,
  type LadderPosition,
  type PlannedAction,
  type Policy,
  type PolicyOutcome,
} from '../../contract/healing';
import { receiveAlerts } from './intake';
import { Announcements } from './announcements';
import { approvalRequest } from './approvals';
import { CircuitBreakers } from './breaker';
import { ClaimFence } from './claimFence';
import type { Clock } from '../clock';
import type { EngineContext, HealingEngineDeps } from './context';
import { KeyedSerial } from './disruption';
import { testKubernetes } from './dryRun';
import { EndedHolds } from './endedHolds';
import { Executor } from './executor';
import { falsePositiveMark, markedBy, OperatorFeedbackHandler } from './falsePositive';
import { Gates, type DecisionOutcome } from './gates';
import { AutomationHolds } from './holds';
import { KubernetesAccess } from './kubernetesAccess';
import { Ladders } from './ladder';
import { Lifecycle } from './lifecycle';
import { EngineLoop } from './loop';
import { evictionPolicy } from './limits';
import { HealingMetrics } from './metrics';
import { OutcomeMetrics, outcomesFrom } from './outcomes';
import { NamespacePauseList } from './pauses';
import { planAction, type Plan } from './policies';
import { closedNote, openedNote, plansFor, proposalOf, skippedNote, type ProposalHow } from './proposal';
import { HealingSettings } from './settings';
import { triggerKey, type StoredAction } from './store/actionRows';
import type { ActionRepository, AuditRepository } from './store/repositories';
import { SettingsStore } from './store/settings';
import { Storm } from './storm';
import { verify } from './verify';
import { Lanes } from '../../utils/lanes';
import { nextTurn } from '../../utils/nextTurn';
import { repropose, type ReproposalDeps } from './reproposal';
import { HealingRetention } from './retention';

/** Dry runs of new proposals in flight at once (an alert group of 10,000 waits its turn, a few at a time). */
const GATE_LANES = 8;

/**
 * The healing engine: matches triggers against policies, proposes actions with a server-side dry
 * run, gates them, executes each approved action exactly once under the safety limits, verifies
 * the outcome and writes everything to the audit log.
 *
 * Exactly once rests on the store: every state change is a conditional update inside a
 * transaction (of SQLite, or of PostgreSQL shared by replicas), so of two approvals or two
 * executors only one wins; an action is pinned by its dry run before it runs, and a drain persists
 * its progress after each eviction, so after a crash an `executing` action is reconciled against
 * the cluster (and a drain resumed) instead of re-run.
 * One engine executes per store: of several replicas, the leader (`deps.leads`).
 */
export class HealingEngine {
  readonly actions: ActionRepository;
  readonly audit: AuditRepository;
  /** The engine's clock, the one of the backend: its routes' timers run on it too. */
  readonly clock: Clock;
  readonly settings: HealingSettings;
  /** Which Kubernetes the engine talks to; an Admin can change it while the engine runs. */
  readonly kubernetes: KubernetesAccess;
  /** Namespaces where an Admin paused automatic actions. */
  readonly pauses: NamespacePauseList;
  /** Storm mode: too many targets alarming at once pauses automatic actions. */
  readonly storm: Storm;
  /** FP_HEALING_RETENTION_DAYS (0: all kept): the 404 of an action it may have pruned says it. */
  readonly retentionDays: number;
  private readonly lifecycle: Lifecycle;
  private readonly gates: Gates;
  private readonly executor: Executor;
  private readonly breakers: CircuitBreakers;
  private readonly announcements: Announcements;
  private readonly ctx: EngineContext;
  private readonly loop: EngineLoop;
  private readonly fence: ClaimFence;
  private readonly retention: HealingRetention;
  private readonly endedHolds: EndedHolds;
  private readonly operatorFeedback: OperatorFeedbackHandler;
  /** Gates of new proposals in flight at once: an alert storm's dry runs do not all hit the Kubernetes API together. */
  private readonly gateLanes = new Lanes(GATE_LANES);
  /** Whether this replica leads; absent: it always does. */
  private readonly leads?: () => boolean;
  private stopping = false;

  /** The engine on its store, with the Kubernetes access an Admin saved read back. Nothing is started. */
  static async open(deps: HealingEngineDeps): Promise<HealingEngine> {
    const engine = new HealingEngine(deps);
    await engine.kubernetes.load();
    return engine;
  }

  private constructor(deps: HealingEngineDeps) {
    this.leads = deps.leads;
    this.clock = deps.clock;
    this.loop = new EngineLoop({ clock: deps.clock, logger: deps.logger, runTick: () => this.runTick() });
    const now = () => deps.clock.now();
    const repos = deps.store.healing;
    this.actions = repos.actions;
    this.audit = repos.audit;
    this.fence = new ClaimFence({ now, self: this.actions.replica, election: deps.election });
    const store = new SettingsStore(deps.store.settings, this.audit);
    this.settings = new HealingSettings(store, now, {
      policies: deps.policies,
      limits: deps.limits,
    });
    const metrics = new HealingMetrics(deps.metrics, {
      awaitingApproval: () => this.actions.countInState('awaiting_approval'),
      killSwitchEngaged: async () => (await store.killSwitch()).engaged,
    });
    const policies = async () => (await this.settings.policies()).policies;
    const limits = async () => (await this.settings.limits()).limits;
    this.retentionDays = deps.retentionDays ?? 0;
    this.retention = new HealingRetention({
      days: this.retentionDays,
      actions: this.actions,
      breakers: repos.breakers,
      audit: this.audit,
      limits,
      metrics,
      logger: deps.logger,
      now,
    });
    // Issue 17: ladders, outcome metrics and approval requests follow each state change.
    const outcomes = new OutcomeMetrics(
      deps.metrics,
      async (a) => (await this.actions.trigger(a.triggerKey))?.closedAt
    );
    const ladders = new Ladders(
      {
        audit: this.audit,
        now: () => this.lifecycle.now(),
      },
      policies,
      limits,
      (after, policy, step, position) =>
        this.proposeStep(after, { ...policy, action: step.action, gate: step.gate }, position),
      (action) => this.dismissed(action.trigger)
    );
    this.lifecycle = new Lifecycle(this.actions, this.audit, metrics, now, async (action, before) => {
      await outcomes.entered(action, before);
      this.loop.inBackground(ladders.entered(action));
      this.loop.inBackground(this.endedHolds.entered(action));
      // The action that opened a breaker was announced with it, link included.
      const announced = async () => (await this.breakers.repo.openOn(action.target))?.actionId === action.id;
      if (action.state === 'awaiting_approval' && deps.actionLink && !(await announced())) {
        this.loop.inBackground(announce(action, approvalRequest(action), 'approval_requested'));
      }
    });
    this.announcements = new Announcements({
      lifecycle: this.lifecycle,
      notifier: deps.notifier,
      limits: async () => (await limits()).notifications,
      link: deps.actionLink,
      pendingLink: deps.pendingLink,
    });
    const announce = this.announcements.announce;
    this.breakers = new CircuitBreakers(this.lifecycle, repos.breakers, announce);
    this.pauses = new NamespacePauseList(store, now);
    this.storm = new Storm({
      actions: this.actions,
      store,
      announce: (message, trigger) => this.announcements.storm(message, trigger),
      limits,
      now,
    });
    const holds = new AutomationHolds({
      settings: this.settings,
      pauses: this.pauses,
      storm: this.storm,
      silences: deps.silences,
      actions: this.actions,
      now,
    });
    const reproposal: ReproposalDeps = {
      actions: this.actions,
      settings: this.settings,
      now: () => this.lifecycle.now(),
      propose: (trigger, policy, plan, how) => this.propose(trigger, policy, plan, how),
      dismissed: (trigger) => this.dismissed(trigger),
    };
    this.ctx = {
      deps,
      kube: () => this.kubernetes.client(),
      lifecycle: this.lifecycle,
      settings: this.settings,
      holds,
      stopping: () => this.stopping,
      serial: new KeyedSerial(),
      kick: () => void this.tick(),
      repropose: (superseded) => repropose(reproposal, superseded),
      breakers: this.breakers,
    };
    this.operatorFeedback = new OperatorFeedbackHandler({
      lifecycle: this.lifecycle,
      read: deps.operatorFeedback ?? (async () => []),
      reinstate: (withdrawn) => repropose(reproposal, withdrawn, 'withdrawn'),
      escalate: (notRecovered) => ladders.entered(notRecovered),
      retake: (trigger) => this.takeTrigger(trigger),
    });
    this.gates = new Gates(this.ctx);
    this.executor = new Executor(this.ctx);
    this.endedHolds = new EndedHolds(this.ctx);
    this.kubernetes = new KubernetesAccess({
      store,
      fromConfig: deps.kube ? { client: deps.kube, options: deps.kubeConfig } : undefined,
      clock: deps.clock,
      logger: deps.logger,
      audit: (entry) => this.audit.append({ ...entry, kind: 'kubernetes_changed' }),
    });
  }

  // ------------------------------------------------------------------------------------------
  // What the pipeline and the alert intake call.

  /** An anomaly or prediction the pipeline found (or found again): proposes what matching policies say. Returns the new action ids. */
  onAnomaly(trigger: AnomalyTrigger): Promise<number[]> {
    return this.onTrigger(trigger);
  }

  onAnomalyClosed(anomalyId: number): Promise<boolean> {
    return this.loop.track(this.closeTrigger({ source: 'anomaly', id: anomalyId }));
  }

  /**
   * An operator's feedback on an anomaly was stored (healing's own verification is never handed
   * here): a false positive withdraws what its trigger proposed and has not started; confirmed after
   * one lets it act again. The feedback is read back from the store (falsePositive.ts).
   */
  onOperatorFeedback(anomalyId: number): Promise<void> {
    return this.loop.track(this.operatorFeedback.heard(anomalyId));
  }

  /** An Alertmanager or Grafana alerting webhook: firing alerts propose, resolved ones close. */
  onAlerts(payload: AlertmanagerWebhook): Promise<AlertIntakeResponse> {
    const intake = {
      actions: this.actions,
      settings: this.settings,
      storm: this.storm,
      now: () => this.lifecycle.now(),
      gate: (id: number, type: PlannedAction['type']) => this.gate(id, type),
    };
    return this.loop.track(receiveAlerts(intake, payload));
  }

  /** Proposes what matching policies say; `idle` waits for it too. Returns the new action ids. */
  onTrigger(input: HealingTrigger): Promise<number[]> {
    return this.loop.track(this.takeTrigger(healingTriggerSchema.parse(input)));
  }

  private async takeTrigger(trigger: HealingTrigger): Promise<number[]> {
    const now = this.lifecycle.now();
    const opened = await this.actions.openTrigger(trigger, now, (result) => openedNote(trigger, now, result));
    // Counted before proposing: the trigger that starts a storm already waits for approval.
    await this.storm.observe(trigger);
    const limits = (await this.settings.limits()).limits;
    const { proposals, skipped } = plansFor(trigger, (await this.settings.policies()).policies, limits);
    // Marked a false positive: its extensions propose nothing until an operator confirms it.
    const dismissed = proposals.length ? await this.dismissed(trigger) : undefined;
    if (opened.isNew || opened.reopened) {
      const refused = dismissed
        ? proposals.map(({ policy }) => ({ policy, message: `policy ${policy.name} proposes nothing: ${dismissed}` }))
        : [];
      for (const { policy, message } of [...skipped, ...refused]) {
        await this.audit.append(skippedNote(trigger, now, policy, message));
      }
    }
    if (dismissed) {
      return [];
    }
    const proposed: number[] = [];
    for (const { policy, plan, how } of proposals) {
      const id = await this.propose(trigger, policy, plan, how);
      if (id !== undefined) {
        proposed.push(id);
      }
    }
    return proposed;
  }

  /** The anomaly closed or the alert resolved: pending actions on it will not run, and verification sees it recovered. */
  async closeTrigger(trigger: TriggerRef): Promise<boolean> {
    const now = this.lifecycle.now();
    const closed = await this.actions.closeTrigger(triggerKey(trigger), now, closedNote(trigger, now));
    if (closed) {
      // Ending a storm sends nothing.
      await this.storm.observe();
    }
    return closed;
  }

  /** Why the trigger proposes nothing now: an operator marked its anomaly a false positive. Undefined when it may. */
  private async dismissed(trigger: HealingTrigger): Promise<string | undefined> {
    const mark = await falsePositiveMark(this.ctx.deps.operatorFeedback, trigger);
    return mark && markedBy(trigger, mark);
  }

  /** A ladder's next step for the same trigger, as it is now: `policy` carries the step's action and gate. */
  private async proposeStep(after: StoredAction, policy: Policy, ladder: LadderPosition): Promise<number | undefined> {
    const trigger = (await this.actions.trigger(after.triggerKey))?.trigger ?? after.trigger;
    const plan = planAction(policy, trigger, (await this.settings.limits()).limits);
    return plan.ok ? this.propose(trigger, policy, plan.plan, { ladder }) : undefined;
  }

  /** Records the proposal (undefined when this trigger already proposed it) and gates it. */
  private async propose(
    trigger: HealingTrigger,
    policy: Policy,
    plan: Plan,
    how: ProposalHow = {}
  ): Promise<number | undefined> {
    const { input, note } = proposalOf(trigger, policy, plan, how, this.lifecycle.now());
    const id = await this.actions.insert(input, note);
    if (id !== undefined) {
      await this.gate(id, plan.action.type);
    }
    return id;
  }

  /** Gates a recorded proposal, in one of GATE_LANES lanes; resolves when its gate is done. */
  private gate(id: number, type: PlannedAction['type']): Promise<void> {
    this.lifecycle.metrics.entered(type, 'proposed');
    this.loop.launch(id, () => this.gateLanes.run(() => this.gates.gate(id)));
    return this.loop.step(id) ?? Promise.resolve();
  }

  // ------------------------------------------------------------------------------------------
  // The approval gate, for the API.

  approve(id: number, user: string, comment?: string): Promise<DecisionOutcome> {
    return this.gates.decide(id, 'approved', user, comment);
  }

  reject(id: number, user: string, comment?: string): Promise<DecisionOutcome> {
    return this.gates.decide(id, 'rejected', user, comment);
  }

  /** The targets whose circuit breaker is open. */
  openBreakers(): Promise<Breaker[]> {
    return this.breakers.repo.listOpen();
  }

  /** An Editor closes a target's breaker (audited with the user); undefined when none was open. */
  closeBreaker(target: string, user: string, comment?: string): Promise<Breaker | undefined> {
    return this.breakers.close(target, user, comment);
  }

  /** Proof of value per policy and action type, from the store. */
  async outcomes(): Promise<PolicyOutcome[]> {
    return outcomesFrom(await this.actions.outcomeRows());
  }

  async testKubernetes(action?: PlannedAction): Promise<KubernetesTestResponse> {
    const mayEvict = await evictionPolicy((await this.settings.limits()).limits, this.actions, this.lifecycle.now());
    return testKubernetes(this.kubernetes.client(), action, mayEvict);
  }

  // ------------------------------------------------------------------------------------------
  // The loop.

  /** Gives back the nodes of cordons and drains that ended unfinished, expires stale proposals, withdraws those an Admin's policy change disowned, executes approved actions, recovers interrupted ones, verifies finished ones, prunes what the retention no longer keeps. */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  /** Resolves once no tick and no action step is in flight (tests, shutdown). */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  /** Ticks every `intervalMs` of the clock; the first tick reconciles what a previous process left executing. */
  start(intervalMs: number): void {
    this.stopping = false;
    this.loop.start(intervalMs);
  }

  /** No tick starts, and a drain under way pauses before its next eviction, for the next leader to resume at once. */
  stop(): Promise<void> {
    this.stopping = true;
    return this.loop.stop();
  }

  private async runTick(): Promise<void> {
    // Replicas share the store: a follower's tick would execute what the leader executes.
    if (this.stopping || (this.leads && !this.leads())) {
      return;
    }
    // Before anything this tick ends: what ends now gives its node back as it ends.
    await this.endedHolds.retry();
    for (const id of await this.actions.expiredIds(this.lifecycle.now())) {
      await this.gates.expire(id);
      await nextTurn();
    }
    await this.gates.sweep();
    // A proposal, or an executing action, that this process is not handling was left by a stopped one.
    for (const id of await this.actions.idsInState('proposed')) {
      this.loop.launch(id, () => this.gates.gate(id));
    }
    for (const id of await this.actions.idsInState('approved')) {
      this.loop.launch(id, () => this.executor.execute(id));
    }
    await this.recoverLeftExecuting();
    for (const id of await this.actions.awaitingVerification()) {
      await verify(this.ctx, id);
      await nextTurn();
    }
    await this.announcements.summarise();
    await this.retention.tick();
  }

  /** Recovers the executing actions no step here runs, once another replica's claim on each is surely dead. */
  private async recoverLeftExecuting(): Promise<void> {
    const ids = await this.actions.idsInState('executing');
    this.fence.keepOnly(ids);
    for (const id of ids) {
      if (this.loop.step(id)) {
        continue;
      }
      const left = await this.actions.get(id);
      if (left?.state === 'executing' && this.fence.passed(left, this.ctx.kube()?.requestTimeoutMs ?? 0)) {
        this.loop.launch(id, () => this.executor.recover(left));
      }
    }
  }
}
