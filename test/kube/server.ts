// A Kubernetes API test server: the real paths, verbs and JSON for the objects the healing actions
// touch, with server-side dry runs, delete options and preconditions, resourceVersion conflicts,
// PodDisruptionBudgets on eviction, RBAC, injected errors and held requests, and a record of every
// request, so tests assert what reached the "cluster".
//
//   const kube = await startKubeTestServer();
//   kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
//   kube.inject({ method: 'PATCH', path: /\/scale$/, status: 403 });
//   ... kube.requests ... await kube.close();
//
// Where the double is strict, it follows kube-apiserver's source (checked with the search tool):
// - DELETE (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/delete.go, DeleteResource): when
//   the request has a body, DeleteOptions are decoded from the body alone and the query string
//   (dryRun, gracePeriodSeconds) is ignored; without a body they come from the query. Then
//   ValidateDeleteOptions (apimachinery/pkg/apis/meta/v1/validation) answers 422 Invalid for a
//   dryRun value other than "All", or a propagationPolicy other than Foreground, Background or Orphan (or
//   one beside orphanDependents), as ValidatePatchOptions does for PATCH's dryRun.
// - Preconditions (apiserver/pkg/registry/rest/delete.go, BeforeDelete): a uid or resourceVersion
//   that does not match the stored object is a 409 Conflict, worded as below.
// - Eviction (pkg/registry/core/pod/storage/eviction.go): the name in the body must match the URL
//   (400); the query's dryRun is copied into deleteOptions when those carry none, and differing
//   values are an error (propagateDryRun); terminal, pending or terminating pods skip the budget; an
//   unready pod passes when the budget is met; otherwise no disruption allowed is a 429 whose
//   details.causes carry the budget's own words. With disruptions allowed, checkAndDecrement updates
//   the budget's status under retry.RetryOnConflict (20 tries); when others keep changing the budget,
//   client-go's util/retry returns the last error: a 409 Conflict on poddisruptionbudgets.policy, the
//   pod not deleted (`conflictBudgetUpdates`). A dry run returns before that update, so never conflicts.
// - PATCH (handlers/patch.go, PatchResource): the Content-Type (its `;` parameters cut) picks the patch
//   type, any other is 415; a JSON Patch that is not a list of operations is 400, one that does not apply
//   (replace or remove of a missing member, a failed test: applyJSPatch) is 422 with the library's words.
// - Leases (coordination.k8s.io/v1, pkg/registry/coordination/lease): create of an existing name
//   is 409 AlreadyExists (registry Store.Create). An update (registry Store.Update) of a Lease that
//   does not exist creates it (the lease strategy's AllowCreateOnUpdate is true: 201); of one that
//   exists it must carry metadata.resourceVersion (AllowUnconditionalUpdate is false: 422 "must be
//   specified for an update"), and a stale one is 409 Conflict, both checked before validation.
//   The handler refuses a body whose name or namespace differs from the URL's first (400).
//   acquireTime and renewTime are
//   metav1.MicroTime, decoded with time.Parse(RFC3339Micro) (apimachinery meta/v1 micro_time.go):
//   exactly six fractional digits, so a JavaScript Date's millisecond ISO text is a 400.
//   ValidateLeaseSpec: leaseDurationSeconds and leaseTransitions must not be negative, and the
//   duration must be greater than 0 (422).

import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { KubeObject } from './objects';
import { jsonPatch, mergePatch, PatchApplyError, PatchError } from './patch';
import {
  alreadyExists,
  conflict,
  forbidden,
  injectedStatus,
  invalid,
  KubeStatus,
  notFound,
  pdbBlocked,
  ResourceRef,
  status,
} from './status';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: unknown;
  /** Whether a real API server takes it as a dry run: from the query, or for a DELETE with a body from that body alone. */
  dryRun: boolean;
  /** The status code it was answered with; undefined while held or when the client went away first. */
  status?: number;
}

export interface Fault {
  method?: string;
  /** Matched against the path without the query string. */
  path: string | RegExp;
  /** Further condition on the request, e.g. only the real request, not its dry run. */
  match?: (request: RecordedRequest) => boolean;
  /** Answer with this code and a Status worded for the request; omit to hold or only run the side effect. */
  status?: number;
  /** A Status body of one's own instead of the generated one. */
  body?: KubeStatus;
  /** Keep the request open, unanswered, until `release()`; then it is handled as usual. */
  hold?: boolean;
  /** Runs when the fault matches, before the request is answered: "meanwhile, someone else...". */
  sideEffect?: () => void;
  /** How many matching requests it applies to; every one when omitted. */
  times?: number;
}

export interface KubeTestServerOptions {
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  token?: string;
  /** The user named in 403 messages. */
  user?: string;
  /** RBAC: false refuses the request with the API server's 403 (see test/kube/rbac.ts). */
  authorize?: (request: Route) => boolean;
}

export interface KubeTestServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests that could change something (every verb but GET), dry runs included. */
  writes(): RecordedRequest[];
  /** Writes a real API server would carry out: not dry runs. */
  realWrites(): RecordedRequest[];
  add(...objects: KubeObject[]): void;
  /** A copy of the stored object, or undefined. Kind as in the object: 'Deployment', 'Pod', ... */
  get(kind: string, name: string, namespace?: string): KubeObject | undefined;
  list(kind: string): KubeObject[];
  remove(kind: string, name: string, namespace?: string): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Lets every held request go on. */
  release(): void;
  /** A deleted or evicted pod stays visible (terminating) for this many GETs of it; 0 by default. */
  setPodTerminationReads(reads: number): void;
  /** The next `evictions` real evictions through this budget answer its status update's 409 (see the notes at the top). */
  conflictBudgetUpdates(name: string, namespace: string, evictions?: number): void;
  /**
   * The pod's controller recreates it under the same name (a StatefulSet's pod), with a new uid, on
   * `nodeName`: what a later request by name meets. Returns the new uid.
   */
  replacePod(name: string, namespace: string, nodeName: string): string;
  close(): Promise<void>;
}

const storeKeys: Record<string, string> = {
  Deployment: 'apps/deployments',
  StatefulSet: 'apps/statefulsets',
  DaemonSet: 'apps/daemonsets',
  ReplicaSet: 'apps/replicasets',
  Pod: '/pods',
  Node: '/nodes',
  PodDisruptionBudget: 'policy/poddisruptionbudgets',
  Lease: 'coordination.k8s.io/leases',
};

const scalable = new Set(['apps/deployments', 'apps/statefulsets']);

class HttpError extends Error {
  constructor(readonly body: KubeStatus) {
    super(body.message);
  }
}

export interface Route extends ResourceRef {
  key: string;
  verb: string;
}

/** The DeleteOptions fields the API server honours for the actions' deletes and evictions. */
interface DeleteOptions {
  dryRun?: string[];
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  orphanDependents?: boolean;
}

/** The RBAC terms (group, resource/subresource, verb) of a request path, as the API server authorizes it. */
export function parsePath(method: string, path: string): Route | undefined {
  const match =
    /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path) ??
    /^\/apis\/(apps|policy|coordination\.k8s\.io)\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(
      path
    );
  if (!match) {
    return undefined;
  }
  const [group, namespace, resource, name, subresource] = path.startsWith('/api/v1/')
    ? ['', match[1], match[2], match[3], match[4]]
    : [match[1], match[2], match[3], match[4], match[5]];
  const verbs: Record<string, string> = {
    GET: name ? 'get' : 'list',
    PATCH: 'patch',
    PUT: 'update',
    // As kube-apiserver's RequestInfoFactory names it: a DELETE of a collection deletes every object in it.
    DELETE: name ? 'delete' : 'deletecollection',
    POST: 'create',
  };
  return {
    key: `${group}/${resource}`,
    group,
    resource,
    namespace: namespace ? decodeURIComponent(namespace) : undefined,
    name: name ? decodeURIComponent(name) : undefined,
    subresource,
    verb: verbs[method] ?? method.toLowerCase(),
  };
}

/** Where kube-apiserver reads dryRun from, per request (see the notes at the top). */
function takenAsDryRun(method: string, params: URLSearchParams, body: unknown): boolean {
  const options = body as { dryRun?: string[]; deleteOptions?: { dryRun?: string[] } } | undefined;
  if (method === 'DELETE' && body !== undefined) {
    return (options?.dryRun ?? []).length > 0;
  }
  if (method === 'POST' && (options?.deleteOptions?.dryRun ?? []).length > 0) {
    return true;
  }
  return params.getAll('dryRun').length > 0;
}

function matchesLabels(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function parseSelector(selector: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const term of (selector ?? '').split(',').filter(Boolean)) {
    // Set-based terms (`in`, `notin`, `!k`) are valid for the API server; this double only knows
    // equality, so it refuses them instead of silently matching nothing.
    if (!/^[^=!() ]+==?[^=!() ]*$/.test(term)) {
      throw new HttpError(status(400, `the test server supports equality selectors only, not "${term}"`));
    }
    const [k, v] = term.split(/==?/);
    result[k] = v ?? '';
  }
  return result;
}

const isReady = (pod: KubeObject) =>
  !pod.metadata.deletionTimestamp &&
  (pod.status?.conditions as Array<{ type: string; status: string }> | undefined)?.some(
    (c) => c.type === 'Ready' && c.status === 'True'
  ) === true;

export async function startKubeTestServer(options: KubeTestServerOptions = {}): Promise<KubeTestServer> {
  const user = options.user ?? 'system:serviceaccount:failureprophet:failureprophet';
  const stores = new Map<string, Map<string, KubeObject>>(Object.values(storeKeys).map((k) => [k, new Map()]));
  const requests: RecordedRequest[] = [];
  const faults: Array<Fault & { used: number }> = [];
  const held: Array<() => void> = [];
  // uid of a pod being deleted → how many more reads still see it.
  const terminating = new Map<string, number>();
  let terminationReads = 0;
  // namespace/name of a budget → how many more real evictions find its status update conflicting.
  const budgetConflicts = new Map<string, number>();
  let resourceVersion = 1000;

  const id = (name: string, namespace?: string) => `${namespace ?? ''}/${name}`;
  const storeOf = (kind: string) => {
    const store = stores.get(storeKeys[kind] ?? '');
    if (!store) {
      throw new Error(`the test server does not serve ${kind}`);
    }
    return store;
  };
  const commit = (store: Map<string, KubeObject>, obj: KubeObject) => {
    obj.metadata.resourceVersion = String(++resourceVersion);
    store.set(id(obj.metadata.name, obj.metadata.namespace), obj);
  };

  function pdbStatus(pdb: KubeObject) {
    const selector = (pdb.spec?.selector as { matchLabels: Record<string, string> }).matchLabels;
    const healthy = [...storeOf('Pod').values()].filter(
      (p) => p.metadata.namespace === pdb.metadata.namespace && matchesLabels(p.metadata.labels, selector) && isReady(p)
    ).length;
    const minAvailable = pdb.spec?.minAvailable as number;
    return {
      currentHealthy: healthy,
      desiredHealthy: minAvailable,
      disruptionsAllowed: Math.max(0, healthy - minAvailable),
    };
  }

  function withStatus(key: string, obj: KubeObject): KubeObject {
    return key === 'policy/poddisruptionbudgets' ? { ...obj, status: pdbStatus(obj) } : obj;
  }

  function scaleOf(obj: KubeObject): KubeObject {
    const labels = (obj.spec?.selector as { matchLabels: Record<string, string> }).matchLabels;
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: {
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec: { replicas: obj.spec?.replicas as number },
      status: {
        replicas: obj.status?.replicas as number,
        selector: Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    };
  }

  function applyPatch(target: KubeObject, contentType: string | undefined, body: unknown): KubeObject {
    try {
      switch (contentType?.split(';')[0]) {
        case 'application/merge-patch+json':
        // Strategic merge differs from a merge patch only for lists with merge keys, which the
        // actions never send.
        case 'application/strategic-merge-patch+json':
          return mergePatch(structuredClone(target) as never, body as never) as unknown as KubeObject;
        case 'application/json-patch+json':
          return jsonPatch(target as never, body) as unknown as KubeObject;
        default:
          throw new HttpError(
            status(
              415,
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`
            )
          );
      }
    } catch (err) {
      if (err instanceof PatchApplyError) {
        // NewGenericServerResponse(422, ...): the patch library's words go in the causes.
        throw new HttpError(
          status(422, 'the server rejected our request due to an error in our request', {
            causes: [{ reason: 'UnexpectedServerResponse', message: err.message }],
          })
        );
      }
      if (err instanceof PatchError) {
        throw new HttpError(status(400, err.message));
      }
      throw err;
    }
  }

  /** A write guarded by the resourceVersion its body carries, as the API server guards it. */
  function checkPrecondition(route: Route, current: KubeObject, next: KubeObject) {
    const wanted = next.metadata?.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion) {
      throw new HttpError(conflict(route));
    }
  }

  function validateReplicas(route: Route, kind: string, replicas: unknown) {
    if (replicas !== undefined && (!Number.isInteger(replicas) || (replicas as number) < 0)) {
      throw new HttpError(
        invalid(
          kind,
          route,
          'spec.replicas',
          `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`
        )
      );
    }
  }

  function lookup(route: Route): KubeObject {
    const obj = stores.get(route.key)?.get(id(route.name ?? '', route.namespace));
    if (!obj) {
      throw new HttpError(notFound(route));
    }
    return obj;
  }

  function readPod(route: Route): KubeObject {
    const pod = lookup(route);
    const left = terminating.get(pod.metadata.uid);
    if (left !== undefined) {
      if (left <= 0) {
        terminating.delete(pod.metadata.uid);
        storeOf('Pod').delete(id(pod.metadata.name, pod.metadata.namespace));
        throw new HttpError(notFound(route));
      }
      terminating.set(pod.metadata.uid, left - 1);
    }
    return pod;
  }

  function deletePod(pod: KubeObject, gracePeriodSeconds: number | undefined, dryRun: boolean): KubeObject {
    const deleted = structuredClone(pod);
    deleted.metadata.deletionTimestamp ??= new Date().toISOString();
    // Negative grace periods are taken as 1s on the delete path (BeforeDelete).
    const grace = gracePeriodSeconds ?? (pod.spec?.terminationGracePeriodSeconds as number | undefined);
    (deleted.metadata as Record<string, unknown>).deletionGracePeriodSeconds =
      grace !== undefined && grace < 0 ? 1 : grace;
    if (dryRun) {
      return deleted;
    }
    if (terminationReads > 0) {
      commit(storeOf('Pod'), deleted);
      terminating.set(pod.metadata.uid, terminationReads);
    } else {
      storeOf('Pod').delete(id(pod.metadata.name, pod.metadata.namespace));
    }
    return deleted;
  }

  /** dryRun values as ValidateDryRun checks them: only "All"; anything else is 422 for the options kind. */
  function validateDryRun(optionsKind: string, dryRun: string[]) {
    const bad = dryRun.filter((v) => v !== 'All');
    if (bad.length > 0) {
      const value = `[]string{${dryRun.map((v) => JSON.stringify(v)).join(', ')}}`;
      throw new HttpError(
        invalid(
          optionsKind,
          { group: 'meta.k8s.io', resource: '', name: '' },
          'dryRun',
          `Unsupported value: ${value}: supported values: "All"`,
          'FieldValueNotSupported'
        )
      );
    }
  }

  /**
   * ValidateDeleteOptions (apimachinery meta/v1 validation), run by BeforeDelete for every delete and
   * eviction: propagationPolicy one of Foreground, Background, Orphan, never beside orphanDependents;
   * dryRun only "All". Each a 422 for DeleteOptions.
   */
  function validateDeleteOptions(options: DeleteOptions) {
    const meta = { group: 'meta.k8s.io', resource: '', name: '' };
    const policy = options.propagationPolicy;
    if (policy !== undefined && options.orphanDependents !== undefined) {
      throw new HttpError(
        invalid(
          'DeleteOptions',
          meta,
          'propagationPolicy',
          `Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set`
        )
      );
    }
    if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
      throw new HttpError(
        invalid(
          'DeleteOptions',
          meta,
          'propagationPolicy',
          `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
          'FieldValueNotSupported'
        )
      );
    }
    validateDryRun('DeleteOptions', options.dryRun ?? []);
  }

  /** The dryRun a request's query carries (PATCH, PUT and POST take their options from the query). */
  function queryDryRun(optionsKind: string, params: URLSearchParams): string[] {
    const dryRun = params.getAll('dryRun');
    validateDryRun(optionsKind, dryRun);
    return dryRun;
  }

  /** DeleteOptions as DeleteResource reads them: from the body when there is one, else from the query. */
  function deleteOptions(params: URLSearchParams, body: unknown): DeleteOptions {
    if (body === undefined) {
      const grace = params.get('gracePeriodSeconds');
      return {
        dryRun: params.getAll('dryRun'),
        gracePeriodSeconds: grace === null ? undefined : Number(grace),
        propagationPolicy: params.get('propagationPolicy') ?? undefined,
      };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(status(400, `couldn't get version/kind; json parse error: ${JSON.stringify(body)}`));
    }
    return body as DeleteOptions;
  }

  /** BeforeDelete's precondition check, worded as the API server words it. */
  function checkPreconditions(pod: KubeObject, options: DeleteOptions, kind = 'Pod', group = '') {
    const { uid, resourceVersion } = options.preconditions ?? {};
    const conflictWith = (why: string) =>
      new HttpError(
        status(
          409,
          `Operation cannot be fulfilled on ${group ? `${kind}.${group}` : kind} "${pod.metadata.name}": ${why}`,
          {
            name: pod.metadata.name,
            group: group || undefined,
            kind,
          }
        )
      );
    if (uid !== undefined && uid !== pod.metadata.uid) {
      throw conflictWith(
        `the UID in the precondition (${uid}) does not match the UID in record (${pod.metadata.uid}). The object might have been deleted and then recreated`
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== pod.metadata.resourceVersion) {
      throw conflictWith(
        `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${pod.metadata.resourceVersion}). The object might have been modified`
      );
    }
  }

  /** The pod store's Delete: validation, preconditions, then the (dry-run or real) deletion. */
  function deleteWith(pod: KubeObject, options: DeleteOptions): KubeObject {
    const dryRun = options.dryRun ?? [];
    validateDeleteOptions(options);
    checkPreconditions(pod, options);
    return deletePod(pod, options.gracePeriodSeconds, dryRun.length > 0);
  }

  function evict(route: Route, params: URLSearchParams, body: unknown, record: RecordedRequest): KubeStatus {
    const fromQuery = queryDryRun('CreateOptions', params);
    const eviction = body as { kind?: string; metadata?: { name?: string }; deleteOptions?: DeleteOptions };
    if (eviction?.kind !== 'Eviction') {
      throw new HttpError(
        status(
          400,
          `Eviction in version "v1" cannot be handled as a Eviction: no kind "${eviction?.kind}" is registered`
        )
      );
    }
    if (eviction.metadata?.name !== route.name) {
      throw new HttpError(status(400, 'name in URL does not match name in Eviction object'));
    }
    // propagateDryRun: the query's dryRun goes into delete options that carry none; both must agree.
    const options: DeleteOptions = { ...eviction.deleteOptions };
    const fromBody = options.dryRun ?? [];
    if (fromBody.length === 0) {
      options.dryRun = fromQuery;
    } else if (fromQuery.length > 0 && JSON.stringify(fromQuery) !== JSON.stringify(fromBody)) {
      throw new HttpError(
        status(
          500,
          `Non-matching dry-run options in request and content: [${fromQuery.join(' ')}] and [${fromBody.join(' ')}]`,
          undefined,
          'Unknown'
        )
      );
    }
    const pod = lookup({ ...route, subresource: undefined });
    const phase = pod.status?.phase as string | undefined;
    // canIgnorePDB: a terminal, pending or terminating pod is deleted whatever its budget says.
    const ignoresBudget =
      phase === 'Succeeded' ||
      phase === 'Failed' ||
      phase === 'Pending' ||
      pod.metadata.deletionTimestamp !== undefined;
    if (!ignoresBudget) {
      const budgets = [...storeOf('PodDisruptionBudget').values()].filter(
        (pdb) =>
          pdb.metadata.namespace === pod.metadata.namespace &&
          matchesLabels(
            pod.metadata.labels,
            (pdb.spec?.selector as { matchLabels: Record<string, string> }).matchLabels
          )
      );
      if (budgets.length > 1) {
        throw new HttpError(
          status(
            500,
            'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'
          )
        );
      }
      if (budgets.length === 1) {
        const budget = pdbStatus(budgets[0]);
        // An unready pod does not count as healthy: evicting it costs nothing while the budget is met.
        const unreadyAndMet =
          !isReady(pod) && budget.currentHealthy >= budget.desiredHealthy && budget.desiredHealthy > 0;
        if (!unreadyAndMet && budget.disruptionsAllowed <= 0) {
          throw new HttpError(pdbBlocked(budgets[0].metadata.name, budget.desiredHealthy, budget.currentHealthy));
        }
        const { name, namespace } = budgets[0].metadata;
        const conflicts = budgetConflicts.get(id(name, namespace)) ?? 0;
        if (!unreadyAndMet && conflicts > 0 && (options.dryRun ?? []).length === 0) {
          budgetConflicts.set(id(name, namespace), conflicts - 1);
          throw new HttpError(conflict({ group: 'policy', resource: 'poddisruptionbudgets', name }));
        }
      }
    }
    deleteWith(pod, options);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  /** metav1.MicroTime as the API server decodes it: RFC 3339 with exactly six fractional digits. */
  function checkMicroTime(value: unknown) {
    if (value === undefined || value === null) {
      return;
    }
    const text = String(value);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(text)) {
      const rest = /\.\d*.*$|Z$/.exec(text)?.[0] ?? text;
      throw new HttpError(
        status(
          400,
          `Lease in version "v1" cannot be handled as a Lease: parsing time "${text}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${rest}" as ".000000"`
        )
      );
    }
  }

  /** What the handler's decoding refuses (400), before anything is looked up. */
  function decodeLease(lease: KubeObject) {
    if (lease?.kind !== undefined && lease.kind !== 'Lease') {
      throw new HttpError(status(400, `Lease in version "v1" cannot be handled as a ${lease.kind}`));
    }
    const spec = (lease.spec ?? {}) as Record<string, unknown>;
    checkMicroTime(spec.acquireTime);
    checkMicroTime(spec.renewTime);
  }

  /** ValidateLeaseSpec (422), which the store runs after its resourceVersion checks. */
  function validateLease(route: Route, lease: KubeObject) {
    const spec = (lease.spec ?? {}) as Record<string, unknown>;
    const ref = { ...route, name: lease.metadata?.name ?? route.name };
    const duration = spec.leaseDurationSeconds;
    if (duration !== undefined && duration !== null && !((duration as number) > 0)) {
      throw new HttpError(
        invalid('Lease', ref, 'spec.leaseDurationSeconds', `Invalid value: ${duration}: must be greater than 0`)
      );
    }
    const transitions = spec.leaseTransitions;
    if (transitions !== undefined && transitions !== null && (transitions as number) < 0) {
      throw new HttpError(
        invalid(
          'Lease',
          ref,
          'spec.leaseTransitions',
          `Invalid value: ${transitions}: must be greater than or equal to 0`
        )
      );
    }
  }

  function checkLeaseNamespace(route: Route, lease: KubeObject) {
    if (lease.metadata.namespace !== undefined && lease.metadata.namespace !== route.namespace) {
      throw new HttpError(
        status(400, 'the namespace of the provided object does not match the namespace sent on the request')
      );
    }
  }

  function createLease(route: Route, body: unknown, dryRun: boolean): KubeObject {
    const lease = body as KubeObject;
    if (typeof body !== 'object' || body === null || !lease.metadata?.name) {
      throw new HttpError(
        invalid('Lease', { ...route, name: '' }, 'metadata.name', 'Required value: name or generateName is required')
      );
    }
    decodeLease(lease);
    checkLeaseNamespace(route, lease);
    validateLease(route, lease);
    if (storeOf('Lease').has(id(lease.metadata.name, route.namespace))) {
      throw new HttpError(alreadyExists({ ...route, name: lease.metadata.name }));
    }
    return storeNewLease(route, lease, dryRun);
  }

  /** A new Lease: system fields filled in, any resourceVersion the body carried replaced by the store's. */
  function storeNewLease(route: Route, lease: KubeObject, dryRun: boolean): KubeObject {
    const { resourceVersion: _ignored, ...metadata } = lease.metadata;
    const created: KubeObject = {
      ...structuredClone(lease),
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...metadata,
        namespace: route.namespace,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    };
    if (!dryRun) {
      commit(storeOf('Lease'), created);
    }
    return created;
  }

  /**
   * PUT of a Lease, in the API server's order: decoding and the name and namespace of the body
   * (400); then the store: a missing Lease is created (the lease strategy allows create on
   * update: 201); an existing one needs the body's resourceVersion (422 without, 409 when stale);
   * validation last (422).
   */
  function updateLease(route: Route, body: unknown, dryRun: boolean): [number, KubeObject] {
    const next = body as KubeObject;
    if (typeof body !== 'object' || body === null || next.metadata?.name !== route.name) {
      const given = String((body as KubeObject | null)?.metadata?.name);
      throw new HttpError(
        status(400, `the name of the object (${given}) does not match the name on the URL (${route.name})`)
      );
    }
    decodeLease(next);
    checkLeaseNamespace(route, next);
    const current = storeOf('Lease').get(id(route.name ?? '', route.namespace));
    if (!current) {
      validateLease(route, next);
      return [201, storeNewLease(route, next, dryRun)];
    }
    if (!next.metadata.resourceVersion) {
      throw new HttpError(
        invalid(
          'leases',
          { ...route, group: 'coordination.k8s.io' },
          'metadata.resourceVersion',
          'Invalid value: 0x0: must be specified for an update'
        )
      );
    }
    checkPrecondition(route, current, next);
    validateLease(route, next);
    const updated: KubeObject = {
      ...structuredClone(next),
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...next.metadata,
        namespace: route.namespace,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
      },
    };
    if (!dryRun) {
      commit(storeOf('Lease'), updated);
    }
    return [
      200,
      dryRun
        ? { ...updated, metadata: { ...updated.metadata, resourceVersion: current.metadata.resourceVersion } }
        : updated,
    ];
  }

  /**
   * A Lease's Delete (registry Store.Delete): 404 when absent, BeforeDelete's preconditions (409),
   * then, as leases do not return the deleted object, a Success Status naming it.
   */
  function deleteLease(route: Route, options: DeleteOptions): KubeStatus {
    const lease = lookup(route);
    const dryRun = options.dryRun ?? [];
    validateDeleteOptions(options);
    checkPreconditions(lease, options, 'Lease', 'coordination.k8s.io');
    if (dryRun.length === 0) {
      storeOf('Lease').delete(id(lease.metadata.name, route.namespace));
    }
    return {
      ...status(200, ''),
      message: undefined,
      reason: undefined,
      details: { name: lease.metadata.name, group: 'coordination.k8s.io', kind: 'leases', uid: lease.metadata.uid },
    };
  }

  function list(route: Route, query: Record<string, string>) {
    const fields = parseSelector(query.fieldSelector);
    for (const field of Object.keys(fields)) {
      if (!['spec.nodeName', 'metadata.name', 'metadata.namespace'].includes(field)) {
        throw new HttpError(status(400, `field label not supported: ${field}`));
      }
    }
    const labels = parseSelector(query.labelSelector);
    const items = [...(stores.get(route.key)?.values() ?? [])]
      .filter((o) => !route.namespace || o.metadata.namespace === route.namespace)
      .filter((o) => !fields['spec.nodeName'] || o.spec?.nodeName === fields['spec.nodeName'])
      .filter((o) => !fields['metadata.name'] || o.metadata.name === fields['metadata.name'])
      .filter((o) => !fields['metadata.namespace'] || o.metadata.namespace === fields['metadata.namespace'])
      .filter((o) => matchesLabels(o.metadata.labels, labels))
      .map((o) => withStatus(route.key, o));
    const kind = Object.entries(storeKeys).find(([, key]) => key === route.key)?.[0] ?? 'Unknown';
    return {
      kind: `${kind}List`,
      apiVersion: route.group ? `${route.group}/v1` : 'v1',
      metadata: { resourceVersion: String(resourceVersion) },
      items,
    };
  }

  function handle(route: Route, params: URLSearchParams, record: RecordedRequest): [number, unknown] {
    const { method, contentType, body } = record;
    const query = Object.fromEntries(params);
    const store = stores.get(route.key);
    if (!store) {
      throw new HttpError(status(404, 'the server could not find the requested resource', undefined, 'NotFound'));
    }
    const kindName = Object.entries(storeKeys).find(([, key]) => key === route.key)?.[0] ?? 'Unknown';
    const allowed = (ok: boolean) => {
      if (!ok) {
        throw new HttpError(
          status(405, `the server does not allow this method on the requested resource`, undefined, 'MethodNotAllowed')
        );
      }
    };
    const writeDryRun = () => queryDryRun(method === 'PATCH' ? 'PatchOptions' : 'UpdateOptions', params).length > 0;

    if (!route.name) {
      if (method === 'POST' && route.key === 'coordination.k8s.io/leases' && route.namespace) {
        return [201, createLease(route, body, queryDryRun('CreateOptions', params).length > 0)];
      }
      // A DELETE of a namespace's pods is a deletecollection (handlers/delete.go, DeleteCollection):
      // every pod the selectors match goes, as a dry run or not as the options say.
      if (method === 'DELETE' && route.key === '/pods' && route.namespace) {
        const options = deleteOptions(params, body);
        const listed = list(route, query);
        return [200, { ...listed, items: listed.items.map((pod) => deleteWith(pod, options)) }];
      }
      allowed(method === 'GET');
      return [200, list(route, query)];
    }
    if (route.key === 'coordination.k8s.io/leases' && method === 'PUT') {
      return updateLease(route, body, writeDryRun());
    }
    if (route.key === 'coordination.k8s.io/leases' && method === 'DELETE') {
      return [200, deleteLease(route, deleteOptions(params, body))];
    }
    if (route.subresource === 'scale') {
      allowed(scalable.has(route.key) && ['GET', 'PATCH', 'PUT'].includes(method));
      const workload = lookup(route);
      const scale = scaleOf(workload);
      if (method === 'GET') {
        return [200, scale];
      }
      const dryRun = writeDryRun();
      const next = method === 'PATCH' ? applyPatch(scale, contentType, body) : (body as KubeObject);
      checkPrecondition(route, workload, next);
      const replicas = next.spec?.replicas;
      validateReplicas({ ...route, group: 'autoscaling' }, 'Scale', replicas);
      const updated = structuredClone(workload);
      updated.spec = { ...updated.spec, replicas };
      updated.status = { ...updated.status, replicas };
      if (replicas !== workload.spec?.replicas) {
        updated.metadata.generation = (updated.metadata.generation ?? 1) + 1;
      }
      if (!dryRun) {
        commit(store, updated);
      }
      return [
        200,
        scaleOf(
          dryRun
            ? { ...updated, metadata: { ...updated.metadata, resourceVersion: workload.metadata.resourceVersion } }
            : updated
        ),
      ];
    }
    if (route.subresource === 'eviction') {
      allowed(route.key === '/pods' && method === 'POST');
      return [201, evict(route, params, body, record)];
    }
    allowed(route.subresource === undefined);
    if (method === 'GET') {
      return [200, withStatus(route.key, route.key === '/pods' ? readPod(route) : lookup(route))];
    }
    if (method === 'DELETE' && route.key === '/pods') {
      return [200, deleteWith(lookup(route), deleteOptions(params, body))];
    }
    if (method === 'PATCH' && route.key !== '/pods' && route.key !== 'policy/poddisruptionbudgets') {
      const dryRun = writeDryRun();
      const current = lookup(route);
      const next = applyPatch(current, contentType, body);
      checkPrecondition(route, current, next);
      validateReplicas(route, kindName, next.spec?.replicas);
      if (JSON.stringify(next.spec) !== JSON.stringify(current.spec) && next.metadata.generation !== undefined) {
        next.metadata.generation += 1;
      }
      if (!dryRun) {
        commit(store, next);
      }
      return [
        200,
        dryRun ? { ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion } } : next,
      ];
    }
    allowed(false);
    return [500, undefined];
  }

  async function respond(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw || undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // Kept as text: the record shows what arrived, the handler answers 400 if it matters.
    }
    const method = req.method ?? 'GET';
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body,
      dryRun: takenAsDryRun(method, url.searchParams, body),
    };
    requests.push(record);

    const send = (code: number, payload: unknown) => {
      if (res.destroyed) {
        return;
      }
      record.status = code;
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const route = parsePath(method, url.pathname);
    const ref: Route = route ?? { key: '', group: '', resource: url.pathname, verb: method.toLowerCase() };

    const fault = faults.find(
      (f) =>
        (f.times === undefined || f.used < f.times) &&
        (!f.method || f.method === method) &&
        (typeof f.path === 'string' ? f.path === url.pathname : f.path.test(url.pathname)) &&
        (!f.match || f.match(record))
    );
    if (fault) {
      fault.used += 1;
      fault.sideEffect?.();
      if (fault.hold) {
        await new Promise<void>((resolve) => held.push(resolve));
      }
      if (fault.status) {
        send(fault.status, fault.body ?? injectedStatus(fault.status, ref, ref.verb, user));
        return;
      }
    }
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      send(401, status(401, 'Unauthorized'));
      return;
    }
    if (!route) {
      send(404, status(404, 'the server could not find the requested resource', undefined, 'NotFound'));
      return;
    }
    if (options.authorize && !options.authorize(route)) {
      send(403, forbidden(route, route.verb, user));
      return;
    }
    try {
      const [code, payload] = handle(route, url.searchParams, record);
      send(code, payload);
    } catch (err) {
      if (err instanceof HttpError) {
        send(err.body.code, err.body);
      } else {
        send(500, status(500, `Internal error occurred: ${(err as Error).message}`));
      }
    }
  }

  const server = createServer((req, res) => {
    void respond(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    realWrites: () => requests.filter((r) => r.method !== 'GET' && !r.dryRun),
    add(...objects) {
      for (const obj of objects) {
        commit(storeOf(obj.kind), structuredClone(obj));
      }
    },
    get(kind, name, namespace) {
      const obj = storeOf(kind).get(id(name, namespace));
      return obj && structuredClone(withStatus(storeKeys[kind], obj));
    },
    list: (kind) => [...storeOf(kind).values()].map((o) => structuredClone(withStatus(storeKeys[kind], o))),
    remove(kind, name, namespace) {
      storeOf(kind).delete(id(name, namespace));
    },
    inject(fault) {
      faults.push({ ...fault, used: 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
    release() {
      held.splice(0).forEach((go) => go());
    },
    setPodTerminationReads(reads) {
      terminationReads = reads;
    },
    conflictBudgetUpdates(name, namespace, evictions = 1) {
      budgetConflicts.set(id(name, namespace), evictions);
    },
    replacePod(name, namespace, nodeName) {
      const old = storeOf('Pod').get(id(name, namespace));
      if (!old) {
        throw new Error(`the test server has no pod ${namespace}/${name} to replace`);
      }
      const replacement = structuredClone(old);
      delete replacement.metadata.deletionTimestamp;
      replacement.metadata.uid = randomUUID();
      replacement.spec = { ...replacement.spec, nodeName };
      terminating.delete(old.metadata.uid);
      commit(storeOf('Pod'), replacement);
      return replacement.metadata.uid;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        held.splice(0).forEach((go) => go());
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
