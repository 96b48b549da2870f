import { z } from 'zod';
import { ApiException } from '@kubernetes/client-node';

export type KubeErrorKind =
  | 'unauthorized' // 401: the credentials were rejected
  | 'forbidden' // 403: RBAC refused a verb on a resource, or an admission policy or a budget refused the request
  | 'not-found' // 404
  | 'conflict' // 409: changed under us, or a precondition (uid) no longer holds
  | 'changed' // refused by us: the object is no longer what the action was pinned to (another pod, another count)
  | 'invalid' // 422: the API server rejected a field
  | 'bad-request' // 400/405/415: the request itself was wrong (a bug on our side), or an admission webhook cannot take a dry run (`webhook`)
  | 'too-many-requests' // 429: rate limited, or a PodDisruptionBudget forbids an eviction
  | 'server-error' // 5xx
  | 'timeout' // no answer in time (ours or the server's 504)
  | 'unreachable' // connection refused, DNS, TLS
  | 'deadline-exceeded' // a drain did not finish before its deadline
  | 'unsafe' // refused by us: it would lose something (pods nothing recreates) or do nothing (a paused Deployment's restart)
  | 'stopped' // stopped by us on request (the kill switch) before it finished
  | 'paused' // paused by us at a safe point (a maintenance window closed): resumable
  | 'unexpected';

/** The API request an error answered, in RBAC terms (verb, resource, group). */
export interface KubeRequest {
  verb: 'get' | 'list' | 'patch' | 'update' | 'delete' | 'create';
  /** Plural resource, with its subresource: `deployments/scale`, `pods/eviction`. */
  resource: string;
  /** API group; '' for the core group. */
  group: string;
  namespace?: string;
  name?: string;
}

/** What the RBAC refusal named, parsed from the API server's 403 message. */
export interface RbacRefusal {
  user?: string;
  verb: string;
  resource: string;
  group: string;
  namespace?: string;
}

export interface KubeError {
  kind: KubeErrorKind;
  /** One sentence an operator can act on. */
  message: string;
  /** HTTP status, when the API server answered. */
  status?: number;
  /** The `reason` of the server's Status object. */
  reason?: string;
  request?: KubeRequest;
  /** A 403 in RBAC's words; absent when something else (an admission policy, a budget) refused. */
  forbidden?: RbacRefusal;
  /** 422: the field the API server rejected. */
  field?: string;
  /** The Status's `details.causes`, in the server's words, e.g. a PodDisruptionBudget's reason for a 429. */
  causes?: string[];
  /** 400 on a dry run: the admission webhook that does not support dry run (its sideEffects). */
  webhook?: string;
  /** 403 from NamespaceLifecycle: nothing new may be created (an eviction neither) in a namespace being deleted. */
  namespaceTerminating?: true;
}

export type KubeResult<T> = { ok: true; value: T } | { ok: false; error: KubeError };

export const ok = <T>(value: T): KubeResult<T> => ({ ok: true, value });
export const fail = <T = never>(error: KubeError): KubeResult<T> => ({ ok: false, error });

// The API server's Status (meta/v1), as far as an error message needs it; anything else is ignored.
const statusSchema = z.object({
  message: z.string().optional().catch(undefined),
  reason: z.string().optional().catch(undefined),
  details: z
    .object({
      causes: z
        .array(
          z.object({ field: z.string().optional(), message: z.string().optional(), reason: z.string().optional() })
        )
        .optional(),
    })
    .optional()
    .catch(undefined),
});
type Status = z.infer<typeof statusSchema>;

/** The error body (a JSON string from the client, or an object): a Status when it is one, else its text as the message. */
function parseStatus(body: unknown): Status {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      // Plain text, as the overload filters write it (http.Error ends it with a newline).
      return { message: body.trim() };
    }
  }
  const parsed = statusSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}

// What fetch and Node's sockets throw: an abort or timeout by name, a socket or TLS failure by code.
const thrownSchema = z.object({
  name: z.string().optional().catch(undefined),
  code: z.string().optional().catch(undefined),
  type: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
});

/** `deployments/scale shop/cart` */
export function describe(request: KubeRequest): string {
  const where = request.namespace ? `${request.namespace}/` : '';
  return request.name
    ? `${request.resource} ${where}${request.name}`
    : `${request.resource}${request.namespace ? ` in namespace ${request.namespace}` : ''}`;
}

// The authorizer's refusal as the API server words it (apiserver endpoints/handlers/responsewriters,
// forbiddenMessage). Admission policies and the eviction's budget check answer 403 in other words.
const refusal =
  /User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?/;

function rbacRefusal(message: string | undefined): RbacRefusal | undefined {
  const match = message ? refusal.exec(message) : null;
  return match
    ? { user: match[1], verb: match[2], resource: match[3], group: match[4], namespace: match[5] }
    : undefined;
}

// A dry run reaching an admission webhook whose sideEffects is neither None nor NoneOnDryRun
// (apiserver admission/plugin/webhook/errors/errors.go, NewDryRunUnsupportedErr: a 400 BadRequest).
const dryRunUnsupported = /^admission webhook "(.+)" does not support dry run$/;

// A patch naming a field the object's type does not have, refused by fieldValidation=Strict
// (apiserver endpoints/handlers/patch.go: a 422 whose `patch` cause ends in runtime.NewStrictDecodingError's words).
const strictDecoding = /strict decoding error: .*$/;

function fromStatus(code: number, body: unknown, request: KubeRequest, server: string): KubeError {
  const status = parseStatus(body);
  const causes = (status.details?.causes ?? []).flatMap((c) => (c.message ? [c.message] : []));
  const base = { status: code, reason: status.reason, request, ...(causes.length ? { causes } : {}) };
  const said = status.message ? `: ${status.message}` : '';
  if (code === 401) {
    return {
      ...base,
      kind: 'unauthorized',
      message: `Kubernetes at ${server} rejected the credentials (401 Unauthorized): check the service account token, FP_KUBE_TOKEN or the kubeconfig user`,
    };
  }
  if (code === 403) {
    // plugin/pkg/admission/namespace/lifecycle/admission.go: the cause's reason is v1.NamespaceTerminatingCause.
    if (status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) {
      return {
        ...base,
        kind: 'forbidden',
        namespaceTerminating: true,
        message: `Kubernetes refused ${request.verb} ${describe(request)}: its namespace is being deleted${said}`,
      };
    }
    const r = rbacRefusal(status.message);
    if (!r) {
      // RBAC would not help: e.g. deploy/admission/policy.yaml denied it; the server says what did.
      return {
        ...base,
        kind: 'forbidden',
        message: `Kubernetes refused ${request.verb} ${describe(request)}${said || ' (403 Forbidden)'}`,
      };
    }
    const who = r.user ? `the service account ${r.user}` : 'the service account';
    const scope = r.namespace ? `in namespace ${r.namespace}` : 'at cluster scope';
    const group = r.group ? ` (API group ${r.group})` : '';
    return {
      ...base,
      kind: 'forbidden',
      forbidden: r,
      message: `Kubernetes refused: ${who} cannot ${r.verb} ${r.resource}${group} ${scope}; grant it in deploy/rbac.yaml`,
    };
  }
  if (code === 404) {
    return { ...base, kind: 'not-found', message: `Kubernetes has no ${describe(request)}` };
  }
  if (code === 409) {
    return { ...base, kind: 'conflict', message: `Kubernetes refused to change ${describe(request)}${said}` };
  }
  if (code === 422) {
    const strict = [...(status.details?.causes ?? []).map((c) => c.message), status.message]
      .map((m) => (m ? strictDecoding.exec(m)?.[0] : undefined))
      .find((m) => m !== undefined);
    if (strict) {
      // The cause's value is the whole patched object: left out, the unknown fields are what matter.
      return {
        ...base,
        kind: 'invalid',
        field: 'patch',
        message: `Kubernetes refused ${request.verb} ${describe(request)}: ${strict}: our request named a field the API server does not have (a bug on our side); nothing was changed`,
      };
    }
    const cause = status.details?.causes?.find((c) => c.field) ?? status.details?.causes?.[0];
    const field = cause?.field;
    return {
      ...base,
      kind: 'invalid',
      field,
      message: field
        ? `Kubernetes rejected ${field} of ${describe(request)}: ${cause?.message ?? status.message ?? 'invalid value'}`
        : `Kubernetes rejected the change to ${describe(request)}${said}`,
    };
  }
  if (code === 429) {
    // A refused eviction says why only in its causes: "The disruption budget web needs 2 healthy pods and has 2 currently".
    return {
      ...base,
      kind: 'too-many-requests',
      message: `Kubernetes turned away ${request.verb} ${describe(request)} for now${said}${causes.length ? ` ${causes.join('; ')}` : ''}`,
    };
  }
  if (code === 504) {
    return {
      ...base,
      kind: 'timeout',
      message: `The Kubernetes API server timed out on ${request.verb} ${describe(request)}${said}`,
    };
  }
  if (code >= 500) {
    return {
      ...base,
      kind: 'server-error',
      message: `The Kubernetes API server failed (${code}) on ${request.verb} ${describe(request)}${said}`,
    };
  }
  const webhook = code === 400 ? dryRunUnsupported.exec(status.message ?? '')?.[1] : undefined;
  if (webhook !== undefined) {
    return {
      ...base,
      kind: 'bad-request',
      webhook,
      message: `Kubernetes could not dry-run ${request.verb} ${describe(request)}: admission webhook "${webhook}" does not support dry run (its sideEffects is neither None nor NoneOnDryRun), so the server cannot check the action without running it; a cluster admin should mark the webhook sideEffects: None, or NoneOnDryRun if it skips its side effects on a dry run. The action was not run`,
    };
  }
  if (code === 400 || code === 405 || code === 415) {
    return {
      ...base,
      kind: 'bad-request',
      message: `Kubernetes could not accept ${request.verb} ${describe(request)} (${code})${said}`,
    };
  }
  return {
    ...base,
    kind: 'unexpected',
    message: `Kubernetes answered ${code} to ${request.verb} ${describe(request)}${said}`,
  };
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** Turns whatever the client threw into an error an operator can read. */
export function toKubeError(err: unknown, request: KubeRequest, server: string, timeoutMs: number): KubeError {
  if (err instanceof ApiException) {
    return fromStatus(err.code, err.body, request, server);
  }
  const thrown = thrownSchema.safeParse(err);
  const e = thrown.success ? thrown.data : undefined;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.type === 'aborted') {
    return {
      kind: 'timeout',
      request,
      message: `No answer from Kubernetes at ${server} within ${timeoutMs} ms to ${request.verb} ${describe(request)}`,
    };
  }
  if (e?.code && (unreachableCodes.has(e.code) || e.code.startsWith('ERR_TLS') || e.code.includes('CERT'))) {
    return { kind: 'unreachable', request, message: `Cannot reach Kubernetes at ${server} (${e.code})` };
  }
  return {
    kind: 'unexpected',
    request,
    message: `Kubernetes request ${request.verb} ${describe(request)} failed: ${e?.message ?? String(err)}`,
  };
}
