import { z } from 'zod';
import {
  actionListSchema,
  actionSchema,
  auditListSchema,
  breakerListSchema,
  breakerSchema,
  killSwitchSchema,
  outcomeListSchema,
  namespacePausesSchema,
  kubernetesTestResponseSchema,
  policiesResponseSchema,
  safetyLimitsResponseSchema,
  type ActionListQuery,
  type ActionState,
  type AuditKind,
  type PolicyInput,
  type PutNamespacePausesBody,
  type SafetyLimitsInput,
} from '../../contract/healing';
import { backendRequest } from './backend';

/** The healing engine's routes, as the plugin proxy forwards them (see plugin.json routes). */
export const healingPaths = {
  policies: 'api/policies',
  putPolicies: 'api/admin/policies',
  limits: 'api/safety-limits',
  putLimits: 'api/admin/safety-limits',
  killSwitch: 'api/kill-switch',
  putKillSwitch: 'api/admin/kill-switch',
  namespacePauses: 'api/namespace-pauses',
  putNamespacePauses: 'api/admin/namespace-pauses',
  actions: 'api/actions',
  decide: (id: number, decision: 'approve' | 'reject') => `api/actions/${id}/${decision}`,
  audit: 'api/audit',
  testKubernetes: 'api/admin/test/kubernetes',
  action: (id: number) => `api/actions/${id}`,
  breakers: 'api/breakers',
  closeBreaker: 'api/breakers/close',
  outcomes: 'api/outcomes',
};

export const getPolicies = () => backendRequest(healingPaths.policies, policiesResponseSchema);

export const putPolicies = (policies: PolicyInput[]) =>
  backendRequest(healingPaths.putPolicies, policiesResponseSchema, { method: 'PUT', data: { policies } });

export const getLimits = () => backendRequest(healingPaths.limits, safetyLimitsResponseSchema);

export const putLimits = (limits: SafetyLimitsInput) =>
  backendRequest(healingPaths.putLimits, safetyLimitsResponseSchema, { method: 'PUT', data: limits });

export const getKillSwitch = () => backendRequest(healingPaths.killSwitch, killSwitchSchema);

export const putKillSwitch = (engaged: boolean, reason?: string) =>
  backendRequest(healingPaths.putKillSwitch, killSwitchSchema, {
    method: 'PUT',
    data: { engaged, reason: reason || undefined },
  });

export const getNamespacePauses = () => backendRequest(healingPaths.namespacePauses, namespacePausesSchema);

export const putNamespacePauses = (pauses: PutNamespacePausesBody['pauses']) =>
  backendRequest(healingPaths.putNamespacePauses, namespacePausesSchema, { method: 'PUT', data: { pauses } });

export const listActions = (query: { state?: ActionState[] } & Omit<ActionListQuery, 'state'> = {}) =>
  backendRequest(healingPaths.actions, actionListSchema, {
    params: { ...query, state: query.state?.join(',') } as Record<string, string | number | undefined>,
  });

export const decideAction = (id: number, decision: 'approve' | 'reject', comment?: string) =>
  backendRequest(healingPaths.decide(id, decision), actionSchema, {
    method: 'POST',
    data: { comment: comment || undefined },
  });

export interface AuditFilter {
  from?: number;
  to?: number;
  triggerId?: string;
  /** A pipeline target's id: the entries of the triggers its anomalies raised. */
  target?: string;
  actionId?: number;
  kind?: AuditKind[];
  user?: string;
  limit?: number;
  /** The `next` or `previous` of a page. */
  cursor?: string;
}

function auditParams(filter: AuditFilter) {
  return { ...filter, kind: filter.kind?.length ? filter.kind.join(',') : undefined };
}

export const listAudit = (filter: AuditFilter) =>
  backendRequest(healingPaths.audit, auditListSchema, { params: auditParams(filter) });

/** Every matching entry as the backend exports it (CSV or JSON Lines), as text to download. */
export const exportAudit = (filter: AuditFilter, format: 'csv' | 'jsonl') =>
  backendRequest(healingPaths.audit, z.string(), {
    params: { ...auditParams({ ...filter, limit: undefined, cursor: undefined }), format },
    responseType: 'text',
  });

export const testKubernetes = () =>
  backendRequest(healingPaths.testKubernetes, kubernetesTestResponseSchema, { method: 'POST', data: {} });

// Issue 17: one action (the Actions page opens on a linked one), circuit breakers, proof of value.

export const getAction = (id: number) => backendRequest(healingPaths.action(id), actionSchema);

export const listBreakers = () => backendRequest(healingPaths.breakers, breakerListSchema);

export const closeBreaker = (target: string, comment?: string) =>
  backendRequest(healingPaths.closeBreaker, breakerSchema, {
    method: 'POST',
    data: { target, comment: comment || undefined },
  });

export const listOutcomes = () => backendRequest(healingPaths.outcomes, outcomeListSchema);
