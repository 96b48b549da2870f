// Builders for the `Status` objects the Kubernetes API server answers errors with, worded as a
// real API server words them, so the client's error mapping is tested against real text.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** What a request addressed, parsed from its path; used to word errors the way the server does. */
export interface ResourceRef {
  group: string; // '' for the core group
  resource: string; // plural, e.g. 'deployments'
  subresource?: string;
  namespace?: string;
  name?: string;
}

const reasons: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function status(code: number, message: string, details?: KubeStatus['details'], reason?: string): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    reason: reason ?? reasons[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

/** `deployments.apps "cart"` — the qualified name the server puts in front of its messages. */
function qualified(ref: ResourceRef): string {
  const resource = ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
  return ref.name ? `${resource} "${ref.name}"` : resource;
}

export function notFound(ref: ResourceRef): KubeStatus {
  return status(404, `${qualified(ref)} not found`, {
    name: ref.name,
    group: ref.group || undefined,
    kind: ref.resource,
  });
}

/** An authorizer's (RBAC's) refusal, worded by forbiddenMessage (apiserver endpoints/handlers/responsewriters/errors.go). */
export function forbidden(ref: ResourceRef, verb: string, user: string): KubeStatus {
  const resource = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
  const scope = ref.namespace ? `in the namespace "${ref.namespace}"` : 'at the cluster scope';
  return status(
    403,
    `${qualified(ref)} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${ref.group}" ${scope}`,
    { name: ref.name, group: ref.group || undefined, kind: ref.resource }
  );
}

/**
 * A ValidatingAdmissionPolicy's denial whose validation says `reason: Forbidden`, as
 * deploy/admission/policy.yaml does: admission.NewForbidden around the policy's words, repeated in
 * the causes (apiserver admission/plugin/policy/validating/dispatcher.go). No RBAC wording.
 */
export function admissionDenied(ref: ResourceRef, policy: string, binding: string, message: string): KubeStatus {
  const denial = `ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${message}`;
  return status(403, `${qualified(ref)} is forbidden: ${denial}`, {
    name: ref.name,
    group: ref.group || undefined,
    kind: ref.resource,
    causes: [{ message: denial }],
  });
}

/**
 * An eviction a budget forbids outright (pkg/registry/core/pod/storage/eviction.go,
 * checkAndDecrement): "pdb disruptions allowed is negative", or its DisruptedPods map too big.
 */
export function pdbForbidden(pdbName: string, why: string): KubeStatus {
  return status(403, `poddisruptionbudget.policy "${pdbName}" is forbidden: ${why}`, {
    name: pdbName,
    group: 'policy',
    kind: 'poddisruptionbudget',
  });
}

/**
 * A create in a namespace being deleted, refused by NamespaceLifecycle admission
 * (plugin/pkg/admission/namespace/lifecycle/admission.go): admission.NewForbidden on the resource
 * (its subresource left out), with a NamespaceTerminating cause.
 */
export function namespaceTerminating(ref: ResourceRef): KubeStatus {
  return status(
    403,
    `${qualified(ref)} is forbidden: unable to create new content in namespace ${ref.namespace} because it is being terminated`,
    {
      name: ref.name,
      group: ref.group || undefined,
      kind: ref.resource,
      causes: [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${ref.namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ],
    }
  );
}

/** Create of a name that is taken (registry Store.Create). */
export function alreadyExists(ref: ResourceRef): KubeStatus {
  return status(
    409,
    `${qualified(ref)} already exists`,
    { name: ref.name, group: ref.group || undefined, kind: ref.resource },
    'AlreadyExists'
  );
}

export function conflict(ref: ResourceRef): KubeStatus {
  return status(
    409,
    `Operation cannot be fulfilled on ${qualified(ref)}: the object has been modified; please apply your changes to the latest version and try again`,
    { name: ref.name, group: ref.group || undefined, kind: ref.resource }
  );
}

export function invalid(
  kind: string,
  ref: ResourceRef,
  field: string,
  detail: string,
  reason = 'FieldValueInvalid'
): KubeStatus {
  const group = ref.group ? `.${ref.group}` : '';
  return status(422, `${kind}${group} "${ref.name}" is invalid: ${field}: ${detail}`, {
    name: ref.name,
    group: ref.group || undefined,
    kind,
    causes: [{ reason, message: detail, field }],
  });
}

/**
 * A PATCH whose patched object has fields its type does not, with fieldValidation=Strict: not a 400
 * but errors.NewInvalid(schema.GroupKind{}, "", ...) (apiserver endpoints/handlers/patch.go,
 * jsonPatcher.applyPatchToCurrentObject for merge and JSON patches, applyPatchToObject for strategic
 * merge): a 422 with an empty kind and name, one `patch` cause whose value is the patched object's
 * JSON (merge) or the patch map as Go prints it (strategic merge), then runtime.NewStrictDecodingError's
 * words: `strict decoding error: unknown field "spec.replicaz", unknown field "..."`.
 */
export function strictDecodingInvalid(value: string, unknownFields: string[]): KubeStatus {
  const strict = `strict decoding error: ${unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`;
  // field.Invalid's ErrorBody quotes a string value with %q.
  const body = `Invalid value: ${JSON.stringify(value)}: ${strict}`;
  return status(422, ` "" is invalid: patch: ${body}`, {
    causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }],
  });
}

/**
 * A dry run that reaches an admission webhook whose sideEffects is neither None nor NoneOnDryRun:
 * the dispatcher refuses before calling it (apiserver admission/plugin/webhook/validating/dispatcher.go
 * and mutating/dispatcher.go, callHook: webhookerrors.NewDryRunUnsupportedErr, in
 * admission/plugin/webhook/errors/errors.go), a plain 400 BadRequest: `admission webhook "X" does not
 * support dry run`. The same request without dryRun would go to the webhook.
 */
export function dryRunUnsupported(webhook: string): KubeStatus {
  return status(400, `admission webhook ${JSON.stringify(webhook)} does not support dry run`);
}

/**
 * What an eviction of a pod two budgets select returns (pkg/registry/core/pod/storage/eviction.go,
 * rtStatus): a Status with no reason, returned as the Create's result rather than as its error, so
 * it goes out with the create handler's 201 while it says Failure, code 500.
 */
export function multipleBudgets(): KubeStatus {
  const { reason: _none, ...failure } = status(
    500,
    'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'
  );
  return failure;
}

/**
 * An eviction through a budget whose status the disruption controller has not caught up with
 * (eviction.go, checkAndDecrement: ObservedGeneration < Generation, createTooManyRequestsError):
 * a 429 that suggests trying again in 10 seconds, which the writer also puts in Retry-After.
 */
export function pdbStillProcessed(pdbName: string): KubeStatus {
  return status(429, "Cannot evict pod as it would violate the pod's disruption budget.", {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${pdbName} is still being processed by the server.`,
      },
    ],
    retryAfterSeconds: 10,
  });
}

export function pdbBlocked(pdbName: string, needed: number, healthy: number): KubeStatus {
  return status(429, "Cannot evict pod as it would violate the pod's disruption budget.", {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${pdbName} needs ${needed} healthy pods and has ${healthy} currently`,
      },
    ],
  });
}

/** The body for an injected error of any code, worded for the request it answers. */
export function injectedStatus(code: number, ref: ResourceRef, verb: string, user: string): KubeStatus {
  switch (code) {
    case 401:
      return status(401, 'Unauthorized');
    case 403:
      return forbidden(ref, verb, user);
    case 404:
      return notFound(ref);
    case 409:
      return conflict(ref);
    case 422:
      return invalid(
        'Scale',
        { ...ref, group: 'autoscaling' },
        'spec.replicas',
        'Invalid value: -1: must be greater than or equal to 0'
      );
    case 504:
      return status(504, 'Timeout: request did not complete within the allotted timeout');
    default:
      return status(code, code >= 500 ? 'Internal error occurred: etcdserver: request timed out' : 'injected error');
  }
}
