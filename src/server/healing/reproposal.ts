import type { HealingTrigger, LadderPosition, Policy } from '../../contract/healing';
import { rung } from './ladder';
import { planAction, policyMatches, type Plan } from './policies';
import type { HealingSettings } from './settings';
import type { StoredAction } from './store/actionRows';
import type { ActionRepository } from './store/repositories';

/** How often one trigger's action is proposed again after being superseded, before a person has to look. */
const MAX_REPROPOSALS = 3;

export interface ReproposalDeps {
  actions: ActionRepository;
  settings: HealingSettings;
  now: () => number;
  /** Records a proposal and gates it (the engine's); undefined when this trigger already proposed it. */
  propose: (
    trigger: HealingTrigger,
    policy: Policy,
    plan: Plan,
    how: { supersedes?: number; ladder?: LadderPosition }
  ) => Promise<number | undefined>;
}

/**
 * After an action was superseded (the cluster changed since its approval): the same policy's
 * action proposed again from what the cluster is now, when the trigger is still open and the
 * policy still applies, a few times at most per trigger. Says what it did, for the action's reason.
 */
export async function repropose(deps: ReproposalDeps, superseded: StoredAction): Promise<string> {
  const record = await deps.actions.trigger(superseded.triggerKey);
  const trigger = record?.trigger ?? superseded.trigger;
  const what = `${trigger.source} ${trigger.id}`;
  if (record?.closedAt !== undefined) {
    return `not proposed again: the ${what} ${trigger.source === 'alert' ? 'resolved' : 'closed'}`;
  }
  const policy = (await deps.settings.policies()).policies.find((p) => p.name === superseded.policy);
  if (!policy || !policyMatches(policy, trigger)) {
    return `not proposed again: policy ${superseded.policy} no longer applies to the ${what}`;
  }
  // A ladder's step is proposed again as that step, in the same place of its ladder.
  const position = superseded.ladder;
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
  const earlier = await deps.actions.supersededCount(superseded.triggerKey, plan.plan.action.type, plan.plan.target);
  if (earlier >= MAX_REPROPOSALS) {
    return `not proposed again: the ${what} was proposed again ${earlier} times and the cluster kept changing before it ran; look at ${plan.plan.target} yourself`;
  }
  // One live proposal per trigger, action and target: the superseded one gives its place up.
  await deps.actions.archiveTriggerKey(superseded.id, deps.now());
  const id = await deps.propose(trigger, proposed, plan.plan, {
    supersedes: superseded.id,
    ...(position ? { ladder: position } : {}),
  });
  return id === undefined ? 'not proposed again: another proposal took its place' : `proposed again as action ${id}`;
}
