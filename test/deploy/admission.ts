// Runs a ValidatingAdmissionPolicy as kube-apiserver does (k8s.io/apiserver admission/plugin/policy
// and plugin/cel, checked with the search tool), over a CEL implementation tested against the CEL
// spec's conformance suite (@bufbuild/cel):
// - matchConstraints.resourceRules pick the requests by group, resource[/subresource] and operation;
// - matchConditions: any false skips the policy; an error with failurePolicy Fail denies;
// - variables are evaluated in order, each seeing the ones before it; the API server evaluates them
//   lazily, where a failed one makes only the expressions that read it fail: here a failed one is
//   left out of `variables`, so reading it is an error there too;
// - validations: false denies with the messageExpression's text (else message); an error denies
//   (failurePolicy Fail);
// - `object`, `oldObject` and `request` are the JSON the API server converts to CEL: objects as maps,
//   whole numbers as int, fields with their zero value left out (omitempty), `object` null on DELETE
//   and `oldObject` null on CREATE.

import { isCelError, run, type CelInput, type CelValue } from '@bufbuild/cel';
import { z } from 'zod';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  group: string;
  resource: string;
  /** Empty or absent for the object itself. */
  subResource?: string;
  name: string;
  namespace?: string;
  username: string;
  object: Json;
  oldObject: Json;
}

const expression = z.object({
  name: z.string(),
  expression: z.string(),
  message: z.string().optional(),
  messageExpression: z.string().optional(),
  reason: z.string().optional(),
});

/** The parts of admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy this evaluator runs. */
export const admissionPolicySchema = z.object({
  apiVersion: z.literal('admissionregistration.k8s.io/v1'),
  kind: z.literal('ValidatingAdmissionPolicy'),
  metadata: z.object({ name: z.string() }),
  spec: z.object({
    failurePolicy: z.enum(['Fail', 'Ignore']),
    matchConstraints: z.object({
      resourceRules: z.array(
        z.object({
          apiGroups: z.array(z.string()),
          apiVersions: z.array(z.string()),
          operations: z.array(z.string()),
          resources: z.array(z.string()),
        })
      ),
    }),
    matchConditions: z.array(expression).default([]),
    variables: z.array(expression.pick({ name: true, expression: true })).default([]),
    validations: z.array(expression.omit({ name: true })),
  }),
});
export type AdmissionPolicy = z.infer<typeof admissionPolicySchema>;
type ResourceRule = AdmissionPolicy['spec']['matchConstraints']['resourceRules'][number];

export type Decision =
  { decision: 'not matched' } | { decision: 'allowed' } | { decision: 'denied'; message: string; error: boolean };

function toCel(value: Json): CelInput {
  if (Array.isArray(value)) {
    return value.map(toCel);
  }
  if (value !== null && typeof value === 'object') {
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
}

const ruleMatches = (rule: ResourceRule, r: AdmissionRequest) => {
  const resource = r.subResource ? `${r.resource}/${r.subResource}` : r.resource;
  return (
    rule.apiGroups.some((g) => g === '*' || g === r.group) &&
    rule.operations.some((o) => o === '*' || o === r.operation) &&
    rule.resources.some((x) => x === '*' || x === resource || (x === `${r.resource}/*` && r.subResource))
  );
};

/** The AdmissionRequest as CEL sees it: its JSON, empty strings left out as their omitempty tags do. */
function requestJson(r: AdmissionRequest): Json {
  return {
    resource: { group: r.group, version: 'v1', resource: r.resource },
    ...(r.subResource ? { subResource: r.subResource } : {}),
    name: r.name,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    operation: r.operation,
    userInfo: { username: r.username, groups: ['system:serviceaccounts', 'system:authenticated'] },
  };
}

export function admit(policy: AdmissionPolicy, r: AdmissionRequest): Decision {
  const { spec } = policy;
  if (!spec.matchConstraints.resourceRules.some((rule) => ruleMatches(rule, r))) {
    return { decision: 'not matched' };
  }
  const variables = new Map<string, CelValue>();
  const bindings = {
    object: toCel(r.object),
    oldObject: toCel(r.oldObject),
    request: toCel(requestJson(r)),
    variables,
  };
  const evaluate = (expression: string) => run(expression, bindings);
  // An error (or a value that is not a bool) is the failurePolicy's to decide; Ignore skips the policy.
  const failed = (what: string, result: unknown): Decision =>
    spec.failurePolicy === 'Fail'
      ? { decision: 'denied', message: `${what}: ${String(result)}`, error: true }
      : { decision: 'not matched' };
  for (const condition of spec.matchConditions) {
    const result = evaluate(condition.expression);
    if (result === false) {
      return { decision: 'not matched' };
    }
    if (result !== true) {
      return failed(`match condition ${condition.name}`, result);
    }
  }
  for (const variable of spec.variables) {
    const value = evaluate(variable.expression);
    if (!isCelError(value)) {
      variables.set(variable.name, value);
    }
  }
  for (const validation of spec.validations) {
    const result = evaluate(validation.expression);
    if (result === true) {
      continue;
    }
    if (result !== false) {
      return failed('validation', result);
    }
    const text = validation.messageExpression ? evaluate(validation.messageExpression) : undefined;
    return { decision: 'denied', message: typeof text === 'string' ? text : (validation.message ?? ''), error: false };
  }
  return { decision: 'allowed' };
}
