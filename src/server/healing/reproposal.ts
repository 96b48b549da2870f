import type { HealingTrigger, Policy } from '../../contract/healing';
import { rung } from './ladder';
import { planAction, policyMatches, type Plan } from './policies';
import type { ProposalHow } from './proposal';
import type { HealingSettings } from './settings';
import type { ArchivedAs, StoredAction } from './store/actionRows';
import type { ActionRepository } from './store/repositories';

/** How often one trigger's action is proposed again after being superseded, before a person has to look. */
const MAX_REPROPOSALS = 3;

export interface ReproposalDeps {
  actions: ActionRepository;
  settings: HealingSettings;
  now: () => number;
  /** Records a proposal and gates it (the engine's); undefined when this trigger already proposed it. */
  propose: (trigger: HealingTrigger, policy: Policy, plan: Plan, how: ProposalHow) => Promise<number | undefined>;
  /** Why the trigger proposes nothing now (an operator marked its anomaly a false positive); undefined when it may. */
  dismissed: (trigger: HealingTrigger) => Promise<string | undefined>;
}

/**
 * After an action was superseded (the cluster changed since its approval): the same policy's
 * action proposed again from what the cluster is now, when the trigger is still open and the
 * policy still applies, a few times at most per trigger. Says what it did, for the action's reason.
 * The same, with no such bound, for an action withdrawn as a false positive once an operator
 * confirmed its anomaly (each time a person's word).
 */
export async function repropose(
  deps: ReproposalDeps,
  earlier: StoredAction,
  because: ArchivedAs = 'superseded'
): Promise<string> {
  const record = await deps.actions.trigger(earlier.triggerKey);
  const trigger = record?.trigger ?? earlier.trigger;
  const what = `${trigger.source} ${trigger.id}`;
  if (record?.closedAt !== undefined) {
    return `not proposed again: the ${what} ${trigger.source === 'alert' ? 'resolved' : 'closed'}`;
  }
  const dismissed = await deps.dismissed(trigger);
  if (dismissed) {
    return `not proposed again: ${dismissed}`;
  }
  const policy = (await deps.settings.policies()).policies.find((p) => p.name === earlier.policy);
  if (!policy || !policyMatches(policy, trigger)) {
    return `not proposed again: policy ${earlier.policy} no longer applies to the ${what}`;
  }
  // A ladder's step is proposed again as that step, in the same place of its ladder.
  const position = earlier.ladder;
  const limits = (await deps.settings.limits()).limits;
  const step = position && rung(policy, position.step, limits);
  if (position && !step) {
    return `not proposed again: policy ${policy.name} no longer has step ${position.step} in its ladder`;
  }
  const proposed = step ? { ...policy, action: step.action, gate: step.gate } : policy;
  const plan = planAction(proposed, trigger, limits);
  if (!plan.ok) {
    return `not proposed again: ${plan.message}`;
  }
  const times =
    because === 'superseded'
      ? await deps.actions.supersededCount(earlier.triggerKey, plan.plan.action.type, plan.plan.target)
      : 0;
  if (times >= MAX_REPROPOSALS) {
    return `not proposed again: the ${what} was proposed again ${times} times and the cluster kept changing before it ran; look at ${plan.plan.target} yourself`;
  }
  // One live proposal per trigger, action and target: the earlier one gives its place up.
  await deps.actions.archiveTriggerKey(earlier.id, deps.now(), because);
  const id = await deps.propose(trigger, proposed, plan.plan, {
    again: { after: earlier.id, because },
    ...(position ? { ladder: position } : {}),
  });
  return id === undefined ? 'not proposed again: another proposal took its place' : `proposed again as action ${id}`;
}
