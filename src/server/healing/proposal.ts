import type { HealingTrigger, LadderPosition, Policy, SafetyLimits, TriggerRef } from '../../contract/healing';
import { firstRung } from './ladder';
import { describeAction, planAction, policyMatches, type Plan } from './policies';
import { triggerKey, type ArchivedAs } from './store/actionRows';
import type { ActionToInsert, NewAuditEntry, OpenedTrigger } from './store/repositories';

// What a trigger handed in writes: its own audit entries and the proposals of the policies it
// matches. One trigger (an anomaly) and an alert group write the same rows and words.

/** How a proposal came about besides its policy: again after one that gave its place up, or as a ladder's step. */
export interface ProposalHow {
  again?: { after: number; because: ArchivedAs };
  ladder?: LadderPosition;
}

const AGAIN_BECAUSE: Record<ArchivedAs, string> = {
  superseded: 'was superseded',
  withdrawn: 'was withdrawn as a false positive and its anomaly confirmed since',
  resolved: 'ended before its alert resolved and fired again',
};

/** The trigger's entry when it opened (or fires again); undefined when it was only refreshed. */
export function openedNote(trigger: HealingTrigger, at: number, opened: OpenedTrigger): NewAuditEntry | undefined {
  return opened.isNew || opened.reopened
    ? {
        at,
        kind: 'trigger_opened',
        triggerId: trigger.id,
        message: `${trigger.severity} ${trigger.source} ${trigger.id}${opened.reopened ? ' fires again' : ''}${trigger.summary ? `: ${trigger.summary}` : ''}`,
        details: trigger,
      }
    : undefined;
}

export function closedNote({ source, id }: TriggerRef, at: number): NewAuditEntry {
  return {
    at,
    kind: 'trigger_closed',
    triggerId: id,
    message: `${source} ${id} ${source === 'alert' ? 'resolved' : 'closed'}`,
  };
}

/** A policy that matched but cannot act on the trigger: said once per trigger, not at every extension of the anomaly. */
export function skippedNote(trigger: HealingTrigger, at: number, policy: Policy, message: string): NewAuditEntry {
  return { at, kind: 'policy_skipped', triggerId: trigger.id, message, details: { policy: policy.name } };
}

/** What the matching policies say of a trigger: what they propose (first rung of a ladder), and which cannot act on it. */
export function plansFor(
  trigger: HealingTrigger,
  policies: Policy[],
  limits: SafetyLimits
): {
  proposals: Array<{ policy: Policy; plan: Plan; how: ProposalHow }>;
  skipped: Array<{ policy: Policy; message: string }>;
} {
  const proposals: Array<{ policy: Policy; plan: Plan; how: ProposalHow }> = [];
  const skipped: Array<{ policy: Policy; message: string }> = [];
  for (const policy of policies.filter((p) => policyMatches(p, trigger))) {
    const plan = planAction(policy, trigger, limits);
    if (plan.ok) {
      proposals.push({ policy, plan: plan.plan, how: { ladder: firstRung(policy, limits) } });
    } else {
      skipped.push({ policy, message: plan.message });
    }
  }
  return { proposals, skipped };
}

/** The proposal's row and its `proposed` entry. */
export function proposalOf(
  trigger: HealingTrigger,
  policy: Policy,
  plan: Plan,
  { again, ladder }: ProposalHow,
  at: number
): ActionToInsert {
  return {
    input: {
      triggerKey: triggerKey(trigger),
      policy: policy.name,
      gate: policy.gate,
      action: plan.action,
      target: plan.target,
      namespace: plan.namespace,
      ...(ladder ? { ladder } : {}),
      at,
    },
    note: (inserted) => ({
      at,
      kind: 'proposed',
      actionId: inserted,
      triggerId: trigger.id,
      message: `policy ${policy.name} proposes ${describeAction(plan.action)} (gate: ${policy.gate})${again ? `, again after action ${again.after} ${AGAIN_BECAUSE[again.because]}` : ''}${ladder ? `, step ${ladder.step} of ${ladder.steps} of its ladder${ladder.previous.length ? ` after ${ladder.previous.map((p) => `action ${p.actionId} (${p.type}, ${p.state})`).join(', ')}` : ''}` : ''}`,
      details: {
        policy: policy.name,
        gate: policy.gate,
        action: plan.action,
        ...(again?.because === 'superseded' ? { supersedes: again.after } : {}),
        ...(again?.because === 'withdrawn' ? { reinstates: again.after } : {}),
        ...(ladder ? { ladder } : {}),
      },
    }),
  };
}
