import {
  type HealingTrigger,
  type PlannedAction,
  type Policy,
  policySchema,
  type SafetyLimits,
} from '../../contract/healing';

/** The original design's flow: critical → scale out, high → rolling restart, medium → tell the operator; all behind approval. */
export const DEFAULT_POLICIES: Policy[] = [
  {
    name: 'critical-scale-out',
    description: 'Critical: add a replica to the target workload',
    match: { severities: ['critical'] },
    action: { type: 'scale', delta: 1 },
    gate: 'approve',
  },
  {
    name: 'high-rolling-restart',
    description: 'High: rolling restart of the target workload',
    match: { severities: ['high'] },
    action: { type: 'restart' },
    gate: 'approve',
  },
  {
    name: 'medium-notify',
    description: 'Medium: tell the operator',
    match: { severities: ['medium'] },
    action: { type: 'notify' },
    gate: 'approve',
  },
].map((p) => policySchema.parse(p));

/** The namespace a trigger is about: its Kubernetes object's, else its `namespace` label. */
export function namespaceOf(trigger: HealingTrigger): string | undefined {
  return trigger.object?.namespace ?? trigger.labels.namespace;
}

const includesLabels = (labels: Record<string, string>, wanted: Record<string, string> | undefined) =>
  !wanted || Object.entries(wanted).every(([k, v]) => labels[k] === v);

export function policyMatches(policy: Policy, trigger: HealingTrigger): boolean {
  const m = policy.match;
  if (!policy.enabled) {
    return false;
  }
  if (m.source && m.source !== trigger.source) {
    return false;
  }
  if (m.severities && !m.severities.includes(trigger.severity)) {
    return false;
  }
  if (m.failureModels && (!trigger.failureModel || !m.failureModels.includes(trigger.failureModel))) {
    return false;
  }
  if (m.watches && (!trigger.watch || !m.watches.includes(trigger.watch))) {
    return false;
  }
  if (m.namespaces) {
    const ns = namespaceOf(trigger);
    if (!ns || !m.namespaces.includes(ns)) {
      return false;
    }
  }
  if (!includesLabels(trigger.labels, m.labels)) {
    return false;
  }
  if (m.alertLabels && (trigger.source !== 'alert' || !includesLabels(trigger.labels, m.alertLabels))) {
    return false;
  }
  return true;
}

export interface Plan {
  action: PlannedAction;
  /** "deployment shop/cart", "pod shop/cart-1", "node n1", or for a notification what it is about. */
  target: string;
  namespace?: string;
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; message: string };

function describeTrigger(trigger: HealingTrigger): string {
  const o = trigger.object;
  if (o) {
    return o.kind === 'node' ? `node ${o.name}` : `${o.kind} ${o.namespace}/${o.name}`;
  }
  const labels = Object.entries(trigger.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `{${labels}}`;
}

function fill(template: string, trigger: HealingTrigger): string {
  return template
    .replaceAll('{summary}', trigger.summary ?? '')
    .replaceAll('{severity}', trigger.severity)
    .replaceAll('{target}', describeTrigger(trigger));
}

/** Turns what a policy names into an action on the trigger's object, or says why it cannot. */
export function planAction(policy: Policy, trigger: HealingTrigger, limits: SafetyLimits): PlanResult {
  const o = trigger.object;
  const a = policy.action;
  const needs = (kinds: string[]) =>
    ({
      ok: false,
      message: `policy ${policy.name} wants ${a.type}, which needs a ${kinds.join(' or ')}; the trigger maps to ${o ? describeTrigger(trigger) : 'no Kubernetes object'}`,
    }) as const;
  switch (a.type) {
    case 'scale': {
      if (!o || (o.kind !== 'deployment' && o.kind !== 'statefulset') || !o.namespace) {
        return needs(['deployment', 'statefulset']);
      }
      const target = { kind: o.kind, namespace: o.namespace, name: o.name };
      const ceiling = Math.min(a.ceiling ?? limits.replicaCeiling, limits.replicaCeiling);
      const action: PlannedAction =
        a.replicas !== undefined
          ? { type: 'scale', target, replicas: a.replicas, ceiling }
          : { type: 'scale', target, delta: a.delta ?? 1, ceiling };
      return { ok: true, plan: { action, target: describeTrigger(trigger), namespace: o.namespace } };
    }
    case 'restart': {
      if (!o || o.kind === 'pod' || o.kind === 'node' || !o.namespace) {
        return needs(['deployment', 'statefulset', 'daemonset']);
      }
      return {
        ok: true,
        plan: {
          action: { type: 'restart', target: { kind: o.kind, namespace: o.namespace, name: o.name } },
          target: describeTrigger(trigger),
          namespace: o.namespace,
        },
      };
    }
    case 'delete-pod': {
      if (!o || o.kind !== 'pod' || !o.namespace) {
        return needs(['pod']);
      }
      return {
        ok: true,
        plan: {
          action: {
            type: 'delete-pod',
            namespace: o.namespace,
            name: o.name,
            gracePeriodSeconds: a.gracePeriodSeconds,
          },
          target: describeTrigger(trigger),
          namespace: o.namespace,
        },
      };
    }
    case 'cordon':
    case 'uncordon':
    case 'drain': {
      if (!o || o.kind !== 'node') {
        return needs(['node']);
      }
      const action: PlannedAction =
        a.type === 'drain'
          ? {
              type: 'drain',
              node: o.name,
              timeoutSeconds: a.timeoutSeconds,
              maxGracePeriodSeconds: a.maxGracePeriodSeconds,
              evictUnmanaged: a.evictUnmanaged,
              deleteEmptyDirData: a.deleteEmptyDirData,
            }
          : { type: a.type, node: o.name };
      return { ok: true, plan: { action, target: `node ${o.name}` } };
    }
    case 'notify': {
      const text = a.message
        ? fill(a.message, trigger)
        : `${trigger.severity} ${trigger.source} on ${describeTrigger(trigger)}${trigger.summary ? `: ${trigger.summary}` : ''}`;
      return {
        ok: true,
        plan: {
          action: { type: 'notify', message: text, labels: trigger.labels },
          target: describeTrigger(trigger),
          namespace: namespaceOf(trigger),
        },
      };
    }
  }
}

/** One line for the audit log: "scale deployment shop/cart by 1 (ceiling 20)". */
export function describeAction(action: PlannedAction): string {
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
