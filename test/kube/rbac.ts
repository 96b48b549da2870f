// RBAC as kube-apiserver's authorizer applies it, for the test server: ClusterRoles and Roles,
// bound by ClusterRoleBindings (everywhere) and RoleBindings (in their own namespace only), to
// one service account. Enough to run the actions against deploy/rbac.yaml in both its variants.

import type { Route } from './server';

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface Document {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

export interface ServiceAccount {
  namespace: string;
  name: string;
}

/** A rule as the authorizer matches it: `*` matches anything, a subresource is named `pods/eviction`. */
export function ruleAllows(rule: Rule, request: Route): boolean {
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  const has = (list: string[], value: string) => list.includes('*') || list.includes(value);
  return (
    has(rule.apiGroups, request.group) &&
    has(rule.resources, resource) &&
    has(rule.verbs, request.verb) &&
    (!rule.resourceNames?.length || (request.name !== undefined && rule.resourceNames.includes(request.name)))
  );
}

export interface Rbac {
  authorize(request: Route): boolean;
  /** Every (group, resource, verb) some binding grants the account, as `group|resource|verb`. */
  granted(): Set<string>;
}

export function rbacFor(documents: Document[], account: ServiceAccount): Rbac {
  const roleRules = (kind: string, name: string, namespace?: string) =>
    documents
      .filter(
        (d) =>
          d.kind === kind && d.metadata.name === name && (kind === 'ClusterRole' || d.metadata.namespace === namespace)
      )
      .flatMap((d) => d.rules ?? []);
  const bindings = documents.filter(
    (d) =>
      (d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding') &&
      d.subjects?.some(
        (s) => s.kind === 'ServiceAccount' && s.name === account.name && s.namespace === account.namespace
      )
  );
  const grants = bindings.map((b) => ({
    // A RoleBinding grants only inside its namespace, whatever role it refers to.
    namespace: b.kind === 'RoleBinding' ? b.metadata.namespace : undefined,
    rules: roleRules(b.roleRef!.kind, b.roleRef!.name, b.metadata.namespace),
  }));
  return {
    authorize: (request) =>
      grants.some(
        (g) =>
          (g.namespace === undefined || g.namespace === request.namespace) &&
          g.rules.some((rule) => ruleAllows(rule, request))
      ),
    granted: () =>
      new Set(
        grants.flatMap((g) =>
          g.rules.flatMap((r) =>
            r.apiGroups.flatMap((group) => r.resources.flatMap((res) => r.verbs.map((v) => `${group}|${res}|${v}`)))
          )
        )
      ),
  };
}
