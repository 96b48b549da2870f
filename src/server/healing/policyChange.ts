import type { HealingTrigger, Policy, PolicyAction, Reason, SafetyLimits } from '../../contract/healing';
import type { EngineContext } from './context';
import { falsePositiveRefusal } from './falsePositive';
import { approvedAutomatically } from './holds';
import { rung } from './ladder';
import { describeAction, policyMatches } from './policies';
import type { StoredAction } from './store/actionRows';

/**
 * Why an open action's policy, as an Admin has it now, no longer lets it run as it was proposed:
 * the policy was deleted, disabled, narrowed past its trigger, given another action or a dry-run
 * gate, or no longer approves automatically what its gate approved. Undefined when it still does.
 * An Admin changing a policy to stop it acting must stop what it already proposed.
 */
export function policyChange(
  action: StoredAction,
  trigger: HealingTrigger,
  policies: readonly Policy[],
  limits: SafetyLimits
): Reason | undefined {
  const what = `${describeAction(action.action)} will not run`;
  const changed = (message: string): Reason => ({ kind: 'policy-changed', message: `${message}: ${what}` });
  const policy = policies.find((p) => p.name === action.policy);
  if (!policy) {
    return changed(`policy ${action.policy} no longer exists`);
  }
  if (!policy.enabled) {
    return changed(`policy ${policy.name} was disabled`);
  }
  if (!policyMatches(policy, trigger)) {
    return changed(`policy ${policy.name} no longer applies to the ${trigger.source} ${trigger.id}`);
  }
  const step = action.ladder?.step ?? 1;
  const now = rung(policy, step, limits);
  if (!now) {
    return changed(`policy ${policy.name} no longer has step ${step} in its ladder`);
  }
  if (now.action.type !== action.action.type) {
    return changed(`policy ${policy.name} now takes the action ${now.action.type}`);
  }
  if (againstIntent(action, now.action)) {
    const [policyWay, actionWay] = scalesOut(now.action) ? ['out', 'in'] : ['in', 'out'];
    return changed(`policy ${policy.name} scales ${policyWay}; this action would scale ${actionWay}`);
  }
  // A proposal of a dry-run gate only records what would happen: a dry-run gate changes nothing for it.
  if (now.gate === 'dry-run' && action.gate !== 'dry-run') {
    return changed(`policy ${policy.name} now only dry-runs`);
  }
  const automatic = action.state === 'proposed' ? action.gate === 'auto' : approvedAutomatically(action);
  if (automatic && now.gate !== 'auto') {
    return changed(`policy ${policy.name} no longer approves automatically (its gate is now ${now.gate})`);
  }
  return undefined;
}

/** A relative scale's direction: out (the default delta is 1) or in; undefined for an absolute count. */
const scalesOut = (planned: PolicyAction): boolean | undefined =>
  planned.type === 'scale' && planned.replicas === undefined ? (planned.delta ?? 1) > 0 : undefined;

/**
 * A scale pinned against its policy's direction: a scale-out policy's action that would scale in (an
 * earlier build pinned a workload above the replica ceiling down to it) or the reverse.
 */
function againstIntent(action: StoredAction, policyAction: PolicyAction): boolean {
  const planned = action.action;
  const out = scalesOut(policyAction);
  if (planned.type !== 'scale' || out === undefined) {
    return false;
  }
  const { replicas, expectReplicas } = planned;
  if (replicas === undefined || expectReplicas === undefined || replicas === expectReplicas) {
    return false;
  }
  return replicas > expectReplicas !== out;
}

/**
 * Cancels an open action that nobody stands behind any more: an operator marked its anomaly a false
 * positive before it started (falsePositive.ts), or its policy no longer does (policyChange). Returns
 * why, or undefined when it may go on. The move is conditional on the state read, as every move is.
 */
export async function withdraw(
  ctx: EngineContext,
  action: StoredAction,
  limits: SafetyLimits
): Promise<Reason | undefined> {
  const { lifecycle, settings } = ctx;
  const noise = await falsePositiveRefusal(ctx.deps, action);
  const trigger = (await lifecycle.actions.trigger(action.triggerKey))?.trigger ?? action.trigger;
  const reason = noise?.reason ?? policyChange(action, trigger, (await settings.policies()).policies, limits);
  if (reason) {
    await lifecycle.move(action, [action.state], 'cancelled', { reason, finishedAt: lifecycle.now() }, [
      { kind: 'cancelled', message: reason.message, ...(noise ? { user: noise.user } : {}) },
    ]);
  }
  return reason;
}
