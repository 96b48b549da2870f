import type { Reason, SafetyLimits } from '../../contract/healing';
import type { EvictionPolicy } from '../kubernetes';
import type { StoredAction } from './store/actionRows';
import type { ActionRepository, LimitFacts, LimitWindow } from './store/repositories';

const HOUR = 3_600_000;

export function namespaceAllowed(namespace: string | undefined, limits: SafetyLimits): boolean {
  if (namespace === undefined) {
    return true;
  }
  const { allow, deny } = limits.namespaces;
  return !deny.includes(namespace) && (allow.includes('*') || allow.includes(namespace));
}

/**
 * What a drain may evict: a drain acts on every namespace that has pods on the node, so the
 * namespace limits hold per pod. Pods in a denied namespace, one outside the allow-list, or one
 * that already had its hourly share of actions are left where they are (skipped and reported).
 * The hourly counts are read once, when the drain (or its dry run) starts.
 */
export async function evictionPolicy(
  limits: SafetyLimits,
  actions: ActionRepository,
  now: number
): Promise<EvictionPolicy> {
  const started = await actions.startedByNamespace(now - HOUR);
  return (namespace) => {
    if (!namespaceAllowed(namespace, limits)) {
      const why = limits.namespaces.deny.includes(namespace) ? 'denied' : 'not in the allow-list';
      return { why: `namespace ${namespace} is ${why} in the safety limits: the engine does not evict there` };
    }
    const inNamespace = started.get(namespace) ?? 0;
    if (inNamespace >= limits.maxActionsPerHourPerNamespace) {
      return {
        why: `${inNamespace} actions ran in namespace ${namespace} in the last hour; the limit is ${limits.maxActionsPerHourPerNamespace}`,
      };
    }
    return undefined;
  };
}

const ago = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)} min`);

/**
 * How long the same action on the same target waits after it ran. A notification waits the repeat
 * interval; a ladder's notification step says the fixes did not hold, which is news rather than a
 * repeat, so it waits the cooldown as the ladder's other steps do.
 */
const cooldownMs = (action: StoredAction, limits: SafetyLimits): number =>
  (action.action.type === 'notify' && !action.ladder
    ? limits.notifications.repeatIntervalSeconds
    : limits.cooldownSeconds) * 1000;

/** How far back the limits look for an action, from `now`: the longer cooldown, and the hour. */
export const limitWindow = (limits: SafetyLimits, now: number): LimitWindow => ({
  cooldownSince: now - Math.max(limits.cooldownSeconds, limits.notifications.repeatIntervalSeconds) * 1000,
  hourSince: now - HOUR,
});

/**
 * The limits that hold whatever a policy says, from what the store says about earlier actions
 * (`facts`), so they hold across restarts and replicas.
 * `proposal`: checked when an action is proposed (so nobody is asked to approve what cannot run);
 * `execution`: checked again inside the transaction that claims it, which is what makes them hold.
 * The kill switch and the node budget are checked by the engine at execution only.
 */
export function checkLimits(
  action: StoredAction,
  limits: SafetyLimits,
  facts: LimitFacts,
  now: number,
  phase: 'proposal' | 'execution'
): Reason | undefined {
  const type = action.action.type;
  const isKube = type !== 'notify';
  if (isKube && !namespaceAllowed(action.namespace, limits)) {
    const why = limits.namespaces.deny.includes(action.namespace ?? '') ? 'denied' : 'not in the allow-list';
    return {
      kind: 'namespace-denied',
      message: `namespace ${action.namespace} is ${why} in the safety limits: the engine does not act there`,
    };
  }
  if (phase === 'proposal') {
    const open = facts.openOn;
    if (open !== undefined) {
      return { kind: 'duplicate', message: `action ${open} already proposes ${type} on ${action.target}` };
    }
  }
  const ceiling = phase === 'execution' ? pastCeiling(action, limits) : undefined;
  if (ceiling) {
    return ceiling;
  }
  // A paused drain resuming was counted (cooldown, hourly limits) when it first started.
  if (action.startedAt !== undefined) {
    return undefined;
  }
  return (
    cooledDown(action, limits, facts, now) ??
    (isKube ? hourlyActions(action, limits, facts) : hourlyNotifications(limits, facts))
  );
}

/** Why the action waits out its cooldown (a notification, its repeat interval) on its target. */
function cooledDown(action: StoredAction, limits: SafetyLimits, facts: LimitFacts, now: number): Reason | undefined {
  const last = facts.lastStart;
  const cooldown = cooldownMs(action, limits);
  if (last === undefined || now - last > cooldown) {
    return undefined;
  }
  return action.action.type === 'notify' && !action.ladder
    ? {
        kind: 'notification-repeat',
        message: `a notification about ${action.target} went out ${ago(now - last)} ago; it repeats after ${ago(cooldown)} (notifications.repeatIntervalSeconds)`,
      }
    : {
        kind: 'cooldown',
        message: `${action.action.type} ran on ${action.target} ${ago(now - last)} ago; the cooldown is ${ago(cooldown)}`,
      };
}

/** The Kubernetes actions' hourly limits, cluster-wide and per namespace. */
function hourlyActions(action: StoredAction, limits: SafetyLimits, facts: LimitFacts): Reason | undefined {
  const total = facts.startedLastHour;
  if (total >= limits.maxActionsPerHour) {
    return {
      kind: 'rate-limit',
      message: `${total} actions ran in the last hour; the limit is ${limits.maxActionsPerHour}`,
    };
  }
  const inNamespace = facts.startedLastHourInNamespace;
  if (action.namespace !== undefined && inNamespace >= limits.maxActionsPerHourPerNamespace) {
    return {
      kind: 'namespace-rate-limit',
      message: `${inNamespace} actions ran in namespace ${action.namespace} in the last hour; the limit is ${limits.maxActionsPerHourPerNamespace}`,
    };
  }
  return undefined;
}

/** The notifications' hourly cap, cluster-wide: one past it is held back (blocked and audited), not sent. */
function hourlyNotifications(limits: SafetyLimits, facts: LimitFacts): Reason | undefined {
  const sent = facts.notifiedLastHour;
  const cap = limits.notifications.maxPerHour;
  return sent >= cap
    ? {
        kind: 'notification-rate-limit',
        message: `notification held back: ${sent} notifications went out in the last hour; the limit is ${cap} (notifications.maxPerHour)`,
      }
    : undefined;
}

/**
 * A scale proposed under a higher replica ceiling than the one in force now: its count (or, before a dry run
 * pinned one, its own ceiling) was fixed at proposal, so lowering the ceiling must stop it at execution.
 * A scale that does not grow the workload is left alone.
 */
function pastCeiling(action: StoredAction, limits: SafetyLimits): Reason | undefined {
  const planned = action.action;
  if (planned.type !== 'scale') {
    return undefined;
  }
  const to = planned.replicas ?? planned.ceiling;
  const grows = planned.replicas === undefined ? (planned.delta ?? 0) > 0 : to > (planned.expectReplicas ?? 0);
  if (!grows || to <= limits.replicaCeiling) {
    return undefined;
  }
  return {
    kind: 'replica-ceiling',
    message: `${action.target} would go to ${planned.replicas === undefined ? 'up to ' : ''}${to} replicas; the replica ceiling is now ${limits.replicaCeiling}`,
  };
}
