import type { ActionState, LadderPosition, Policy, PolicyAction, Gate, SafetyLimits } from '../../contract/healing';
import { describeAction } from './policies';
import type { StoredAction } from './store/actionRows';
import type { AuditRepository } from './store/repositories';

/** One rung: the policy's own action is step 1, its `steps` follow. */
export interface Rung {
  action: PolicyAction;
  gate: Gate;
  verifySeconds: number;
}

/** The policy's step `step` (1-based), or undefined past its end. */
export function rung(policy: Policy, step: number, limits: SafetyLimits): Rung | undefined {
  const window = limits.verification.windowSeconds;
  if (step === 1) {
    return { action: policy.action, gate: policy.gate, verifySeconds: policy.verifySeconds ?? window };
  }
  const s = policy.steps?.[step - 2];
  return s && { action: s.action, gate: s.gate, verifySeconds: s.verifySeconds ?? window };
}

/** Where the first action of a policy with a ladder stands; undefined for a policy without steps. */
export function firstRung(policy: Policy, limits: SafetyLimits): LadderPosition | undefined {
  if (!policy.steps?.length) {
    return undefined;
  }
  return {
    policy: policy.name,
    step: 1,
    steps: policy.steps.length + 1,
    verifySeconds: rung(policy, 1, limits)!.verifySeconds,
    previous: [],
  };
}

/** The states that end a ladder other than by escalating, and how the audit log says it. */
const STOPS: Partial<Record<ActionState, string>> = {
  verified: 'recovered',
  rejected: 'was rejected',
  expired: 'expired without a decision',
  blocked: 'was blocked',
  failed: 'failed',
  cancelled: 'was cancelled',
  dry_run: 'was only dry-run (gate dry-run)',
};

/** Proposes a step of a ladder for the same trigger; the engine's `propose`. Returns the new action id. */
export type ProposeStep = (
  after: StoredAction,
  policy: Policy,
  step: Rung,
  position: LadderPosition
) => Promise<number | undefined>;

/**
 * Escalation ladders: when a step's verification says "not recovered", the policy's next step is
 * proposed (through its own gate), carrying what came before; the ladder stops at the first
 * recovery, at its end, when a step is rejected (or otherwise ends without running), or when an
 * operator marked the anomaly a false positive (until they confirm it).
 */
export class Ladders {
  constructor(
    private readonly log: { audit: AuditRepository; now: () => number },
    private readonly policies: () => Promise<Policy[]>,
    private readonly limits: () => Promise<SafetyLimits>,
    private readonly propose: ProposeStep,
    /** Why the action's trigger proposes nothing now (a false-positive mark); undefined when it may. */
    private readonly dismissed: (action: StoredAction) => Promise<string | undefined>
  ) {}

  /** A lifecycle observer for actions on a ladder. */
  async entered(action: StoredAction): Promise<void> {
    const position = action.ladder;
    if (!position) {
      return;
    }
    const where = `ladder of policy ${position.policy}: step ${position.step} of ${position.steps} (${describeAction(action.action)})`;
    const stop = STOPS[action.state];
    if (stop) {
      await this.note(action, `${where} ${stop}; the ladder stops`, { position, state: action.state });
      return;
    }
    if (action.state !== 'not_recovered') {
      return;
    }
    const dismissed = await this.dismissed(action);
    if (dismissed) {
      await this.note(action, `${where} did not recover; the ladder stops: ${dismissed}`, { position, dismissed });
      return;
    }
    const policy = (await this.policies()).find((p) => p.name === position.policy);
    const next = policy && rung(policy, position.step + 1, await this.limits());
    if (!policy || !next) {
      const why = policy ? 'that was its last step' : `policy ${position.policy} no longer exists`;
      await this.note(action, `${where} did not recover and ${why}; the ladder ends without a recovery`, { position });
      return;
    }
    const reached: LadderPosition = {
      policy: policy.name,
      step: position.step + 1,
      steps: (policy.steps?.length ?? 0) + 1,
      verifySeconds: next.verifySeconds,
      previous: [
        ...position.previous,
        {
          actionId: action.id,
          step: position.step,
          type: action.action.type,
          state: action.state,
          outcome: action.verification?.message ?? 'not recovered',
        },
      ],
    };
    const id = await this.propose(action, policy, next, reached);
    await this.note(
      action,
      id === undefined
        ? `${where} did not recover; step ${reached.step} (${next.action.type}) could not be proposed: ${policy.name} cannot plan it for this trigger or it was already proposed`
        : `${where} did not recover; escalates to step ${reached.step} of ${reached.steps}: action ${id} (${next.action.type}, gate ${next.gate})`,
      { position, next: id }
    );
  }

  private async note(action: StoredAction, message: string, details: unknown): Promise<void> {
    await this.log.audit.append({
      at: this.log.now(),
      kind: 'ladder',
      actionId: action.id,
      triggerId: action.trigger.id,
      message,
      details,
    });
  }
}
