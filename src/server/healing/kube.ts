import type { DryRunRecord, ExecutionResult, PlannedAction, Reason } from '../../contract/healing';
import type { ActionOutcome, KubeAction, KubeError } from '../kubernetes';

export type KubePlannedAction = Exclude<PlannedAction, { type: 'notify' }>;

// The contract mirrors the Kubernetes module's action schema (the frontend may not import server
// code); this fails to compile the day the two disagree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const CONTRACT_AGREES_WITH_KUBERNETES: Same<KubePlannedAction, KubeAction> = true;

export const isKubeAction = (action: PlannedAction): action is KubePlannedAction => action.type !== 'notify';

export function kubeReason(error: KubeError): Reason {
  // Only the engine stops an action (its kill switch), so a stop is the kill switch's doing.
  if (error.kind === 'stopped') {
    return { kind: 'kill-switch', message: error.message };
  }
  return {
    kind: 'kubernetes',
    errorKind: error.kind,
    message: error.message,
    ...(error.status !== undefined ? { status: error.status } : {}),
  };
}

const ref = (p: { namespace: string; name: string }) => ({ namespace: p.namespace, name: p.name });

/** What the server-side dry run says would change, in the shape the Actions page shows. */
export function dryRunRecord(outcome: ActionOutcome, at: number): DryRunRecord {
  if (!outcome.ok) {
    return {
      ok: false,
      at,
      summary: `the dry run failed: ${outcome.error.message}`,
      changes: [],
      error: kubeReason(outcome.error),
    };
  }
  const r = outcome.value;
  switch (r.action) {
    case 'scale':
      return {
        ok: true,
        at,
        summary: r.summary,
        changes: [
          {
            field: `${r.target.kind} ${r.target.namespace}/${r.target.name} replicas`,
            from: String(r.from),
            to: String(r.to),
          },
        ],
      };
    case 'restart':
      return {
        ok: true,
        at,
        summary: r.summary,
        changes: [
          {
            field: `${r.target.kind} ${r.target.namespace}/${r.target.name} pod template restartedAt`,
            from: null,
            to: r.restartedAt,
          },
        ],
      };
    case 'delete-pod':
      return {
        ok: true,
        at,
        summary: r.summary,
        changes: [{ field: `pod ${r.namespace}/${r.name}`, from: r.uid ?? 'present', to: null }],
      };
    case 'cordon':
    case 'uncordon':
      return {
        ok: true,
        at,
        summary: r.summary,
        changes: r.changed
          ? [
              {
                field: `node ${r.node} spec.unschedulable`,
                from: String(!r.wasSchedulable),
                to: String(!r.schedulable),
              },
            ]
          : [],
      };
    case 'drain':
      return {
        ok: true,
        at,
        summary: r.summary,
        changes: r.cordonedByDrain ? [{ field: `node ${r.node} spec.unschedulable`, from: 'false', to: 'true' }] : [],
        pods: {
          evict: r.evicted.map(ref),
          skip: r.skipped.map((s) => ({ ...ref(s), why: s.why, ...(s.since === undefined ? {} : { since: s.since }) })),
          blocked: r.left.map((l) => ({ ...ref(l), why: l.why })),
        },
      };
  }
}

export function executionResult(outcome: ActionOutcome): ExecutionResult {
  if (outcome.ok) {
    return { ok: true, summary: outcome.value.summary, details: outcome.value };
  }
  return {
    ok: false,
    summary: outcome.report?.summary ?? outcome.error.message,
    details: outcome.report,
    error: kubeReason(outcome.error),
  };
}
