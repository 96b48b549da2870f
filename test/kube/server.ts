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
//   A pod two budgets select is not evicted, and the answer is a 201: Create returns that refusal as
//   its result, a Status saying Failure (code 500, no reason), which the create handler writes with
//   its success code (handlers/create.go, response.go transformResponseObject). A budget whose status
//   is behind its spec (`staleBudget`) is a 429 whose Status suggests 10 s, which the writer puts in
//   Retry-After (checkAndDecrement, createTooManyRequestsError; responsewriters ErrorNegotiated).
// - NamespaceLifecycle admission (plugin/pkg/admission/namespace/lifecycle): no create, an eviction
//   neither, in a namespace being deleted (`terminateNamespace`): 403 with a NamespaceTerminating cause.
// - Load shedding (apiserver pkg/server/filters, maxinflight.go / priority-and-fairness.go): an
//   injected 429 is their plain-text answer with Retry-After: 1, before any handler ran.
// - The scale subresource refuses a Scale naming another uid with 409 (scaleUpdatedObjectInfo).
// - A PATCH's metadata.resourceVersion (a Scale's too) guards it when set: a stale one is 409 Conflict
//   (registry/generic/registry/store.go, Store.Update: OptimisticLockErrorMsg). Absent, the patched
//   object keeps the stored one; "" parses as 0 (storage APIObjectVersioner.ObjectResourceVersion),
//   which Store.Update takes as an unconditional update for the kinds patched here (their strategies'
//   AllowUnconditionalUpdate is true): neither is a precondition.
// - Eviction's budget (pkg/registry/core/pod/storage/eviction.go, getPodDisruptionBudgets): budgets
//   of the pod's namespace whose selector matches its labels, as metav1.LabelSelectorAsSelector builds
//   it (matchLabels and matchExpressions: see ./selectors.ts): a nil selector matches nothing, an empty
//   one every pod (policy/v1; the old `selector.Empty()` skip went with kubernetes/kubernetes #119732).
//   The create handler refuses a body whose metadata.namespace is not the URL's first (handlers/
//   create.go: rest.EnsureObjectNamespaceMatchesRequestNamespace, 400); an empty one is the URL's.
// - A budget's status is the disruption controller's (pkg/controller/disruption/disruption.go,
//   getExpectedPodCount): maxUnavailable and a percentage minAvailable count the replicas of the pods'
//   controllers (uid-linked, as its finders follow them), percentages rounded up; where that
//   controller would fail its sync (an owner not stored, a kind without a scale) the double throws
//   rather than guess. Budgets the API server would not create (ValidatePodDisruptionBudgetSpec) are
//   refused by add().
// - A list's labelSelector is parsed as labels.Parse does it: set-based terms included, a malformed
//   one a 400. Its fieldSelector takes the field labels each kind declares (pkg/apis/core/v1/
//   conversion.go), any other a 400; items come in key order, chunked by `limit` and `continue`, an
//   expired token a 410 (see ./lists.ts).
// - POST, PUT and DELETE bodies (handlers/negotiation, NegotiateInputSerializer): the Content-Type
//   without parameters, JSON when absent; an unknown media type is 415 UnsupportedMediaType. YAML and
//   protobuf, which the API server decodes, this double does not: also 415, saying so.
// - PATCH (handlers/patch.go, PatchResource): the Content-Type (its `;` parameters cut) picks the patch
//   type, any other is 415; a JSON Patch that is not a list of operations is 400, one that does not apply
//   (replace or remove of a missing member, a failed test: applyJSPatch) is 422 with the library's words.
//   A strategic merge patch merges a map (metadata.annotations) key by key and a null deletes its key
//   (apimachinery strategicpatch, mergeMap; a null for a key not there is dropped), as RFC 7386 does.
//   The patched object's annotation keys, lowercased, must be qualified names (ValidateObjectMetaUpdate:
//   apimachinery api/validation/objectmeta.go, ValidateAnnotations), else 422 Invalid.
// - fieldValidation (PatchOptions, CreateOptions, UpdateOptions; apimachinery meta/v1/validation,
//   ValidateFieldValidation): "", Ignore, Warn or Strict, anything else 422 for the options kind,
//   before the object is looked up. Absent is Warn (handlers/rest.go, fieldValidation). On a PATCH
//   of the kinds the actions patch, the patched object's fields are checked against ./fields.ts:
//   Strict is the 422 of handlers/patch.go (errors.NewInvalid, `strict decoding error: unknown field
//   "spec.replicaz"`: not a 400, which is create's and update's), Warn drops them with a `Warning:
//   299 - "unknown field ..."` header each, Ignore drops them silently. Where ./fields.ts does not
//   model a subtree, Strict is refused in the test server's own words (400).
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
import { goJson, goValue, jsonPatchReach, schemas, unknownFields, unmodelledReach } from './fields';
import { chunk, fieldFilter, ListRefusal } from './lists';
import { KubeObject } from './objects';
import { jsonPatch, mergePatch, PatchApplyError, PatchError } from './patch';
import {
  labelKeyErrors,
  LabelSelector,
  matches,
  parseSelector,
  Selector,
  SelectorError,
  selectorFrom,
} from './selectors';
import {
  alreadyExists,
  conflict,
  forbidden,
  injectedStatus,
  invalid,
  KubeStatus,
  multipleBudgets,
  namespaceTerminating,
  notFound,
  pdbBlocked,
  pdbStillProcessed,
  ResourceRef,
  status,
  strictDecodingInvalid,
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
  /** The texts of the Warning headers it was answered with (fields fieldValidation=Warn dropped). */
  warnings: string[];
}

export interface Fault {
  method?: string;
  /** Matched against the path without the query string. */
  path: string | RegExp;
  /** Further condition on the request, e.g. only the real request, not its dry run. */
  match?: (request: RecordedRequest) => boolean;
  /**
   * Answer with this code and a Status worded for the request (429: the overload filters' plain text
   * with Retry-After: 1); omit to hold or only run the side effect.
   */
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
  /** The disruption controller has not yet synced this budget since its spec changed (observedGeneration behind). */
  staleBudget(name: string, namespace: string): void;
  /**
   * The namespace is being deleted (phase Terminating): NamespaceLifecycle admission refuses every
   * create in it, evictions included, with a 403 naming the cause. Its pods stay until removed.
   */
  terminateNamespace(namespace: string): void;
  /**
   * GETs of this object (its scale too) answer without metadata.resourceVersion, which a real API
   * server always sets: what a broken proxy in between might do. Writes are guarded as ever.
   */
  readWithoutResourceVersion(kind: string, name: string, namespace?: string): void;
  /** etcd compacts: every continue token issued so far answers 410 Expired from now on. */
  expireContinueTokens(): void;
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

/** fieldValidation's directives, "" taken as Warn. */
type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

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

/**
 * A list's labelSelector, parsed as labels.Parse parses it (see ./selectors.ts): equality and set
 * terms (`app=web,tier in (a,b),track notin (x),ready,!legacy`). One it cannot parse is the 400 the
 * handler answers when ListOptions do not decode (handlers/get.go, ListResource: NewBadRequest).
 */
function parseLabelQuery(selector: string | undefined): Selector {
  try {
    return parseSelector(selector ?? '');
  } catch (err) {
    if (err instanceof SelectorError) {
      throw new HttpError(status(400, err.message));
    }
    throw err;
  }
}

/**
 * Media types the API server decodes a POST, PUT or DELETE body from (runtime codecs: JSON, YAML,
 * protobuf). NegotiateInputSerializer (apiserver/pkg/endpoints/handlers/negotiation/negotiate.go)
 * takes the Content-Type without its parameters, JSON when there is none, and answers any other
 * with 415 UnsupportedMediaType.
 */
const decodableMediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function negotiateInput(contentType: string | undefined) {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase() || 'application/json';
  if (mediaType === 'application/json') {
    return;
  }
  if (decodableMediaTypes.includes(mediaType)) {
    // The API server would decode it; this double cannot, so it refuses loudly rather than guess.
    throw new HttpError(
      status(415, `the test server decodes application/json bodies only, not ${mediaType} (the API server would)`)
    );
  }
  throw new HttpError(
    status(
      415,
      `the body of the request was in an unknown format - accepted media types include: ${decodableMediaTypes.join(', ')}`
    )
  );
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
  // namespace/name of budgets whose status the disruption controller has not caught up with.
  const staleBudgets = new Set<string>();
  // Namespaces in phase Terminating.
  const terminatingNamespaces = new Set<string>();
  // store key:namespace/name of objects whose reads answer without a resourceVersion.
  const unversioned = new Set<string>();
  let resourceVersion = 1000;
  // Continue tokens issued at or before this version have expired (etcd compacted them).
  let compactedBefore = 0;

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

  const budgetName = (pdb: KubeObject) => `PodDisruptionBudget ${pdb.metadata.namespace}/${pdb.metadata.name}`;

  /** A budget's selector as LabelSelectorAsSelector makes it: nil matches nothing, {} every pod of its namespace. */
  function budgetSelector(pdb: KubeObject): Selector {
    try {
      return selectorFrom(pdb.spec?.selector as LabelSelector | null | undefined);
    } catch (err) {
      throw new Error(
        `the test server cannot use ${budgetName(pdb)}: its selector is invalid (${(err as Error).message}); the API server would have refused to create it`
      );
    }
  }

  /**
   * What ValidatePodDisruptionBudgetSpec (pkg/apis/policy/validation/validation.go) refuses on
   * create, so no stored budget has it: both minAvailable and maxUnavailable, a negative int, a
   * string that is not a percentage, more than 100%, an invalid selector. The test seeded the
   * budget with add(), past validation: refused here, loudly.
   */
  function validateBudget(pdb: KubeObject) {
    const spec = pdb.spec ?? {};
    const refuse = (why: string) => {
      throw new Error(`the test server refuses ${budgetName(pdb)}: ${why}; the API server would not store it`);
    };
    if (spec.minAvailable != null && spec.maxUnavailable != null) {
      refuse('minAvailable and maxUnavailable cannot be both set');
    }
    for (const field of ['minAvailable', 'maxUnavailable'] as const) {
      const value = spec[field];
      if (value == null) {
        continue;
      }
      if (typeof value === 'number') {
        if (!Number.isInteger(value) || value < 0) {
          refuse(`spec.${field}: ${value} must be greater than or equal to 0`);
        }
      } else if (typeof value !== 'string' || !/^[0-9]+%$/.test(value)) {
        refuse(`spec.${field}: ${JSON.stringify(value)} must be an integer or percentage (e.g '5%')`);
      } else if (parseInt(value, 10) > 100) {
        refuse(`spec.${field}: ${value} must not be greater than 100%`);
      }
    }
    budgetSelector(pdb);
  }

  const controllerOf = (obj: KubeObject) => obj.metadata.ownerReferences?.find((r) => r.controller === true);
  const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
  const replicasOf = (obj: KubeObject) => (obj.spec?.replicas as number | undefined) ?? 1;

  /**
   * The scale of a pod's controller, as getExpectedScale's finders find it (pkg/controller/disruption/
   * disruption.go): a ReplicaSet's Deployment (getPodDeployment), a ReplicaSet no Deployment controls
   * (getPodReplicaSet), a StatefulSet (getPodStatefulSet), else the owner's scale subresource
   * (getScaleController: a Deployment-controlled ReplicaSet whose Deployment is gone reads its own);
   * each only when the stored object has the reference's uid. Where the controller would find none
   * (its sync fails and failSafe leaves a stale status) or reads a scale this double does not serve
   * (a DaemonSet, a Job, a mirror pod's Node: "does not implement the scale subresource"), the double
   * cannot know what the budget would say: it throws.
   */
  function controllerScale(pdb: KubeObject, pod: KubeObject): { uid: string; replicas: number } {
    const ref = controllerOf(pod)!;
    const namespace = pod.metadata.namespace;
    const stored = (kind: string, name: string, uid: string) => {
      const obj = storeOf(kind).get(id(name, namespace));
      return obj && obj.metadata.uid === uid ? obj : undefined;
    };
    const group = groupOf(ref.apiVersion);
    if (['ReplicaSet', 'Deployment', 'StatefulSet'].includes(ref.kind) && group === 'apps') {
      const owner = stored(ref.kind, ref.name, ref.uid);
      if (owner && ref.kind === 'ReplicaSet') {
        const rsRef = controllerOf(owner);
        const deployment =
          rsRef?.kind === 'Deployment' && groupOf(rsRef.apiVersion) === 'apps'
            ? stored('Deployment', rsRef.name, rsRef.uid)
            : undefined;
        return deployment
          ? { uid: deployment.metadata.uid, replicas: replicasOf(deployment) }
          : { uid: owner.metadata.uid, replicas: replicasOf(owner) };
      }
      if (owner) {
        return { uid: owner.metadata.uid, replicas: replicasOf(owner) };
      }
      throw new Error(
        `the test server cannot compute ${budgetName(pdb)}'s status: pod ${pod.metadata.name}'s controller ${ref.kind} ${ref.name} (uid ${ref.uid}) is not stored with that uid, so the disruption controller would fail its sync ("found no controllers for pod ${JSON.stringify(pod.metadata.name)}") and leave a stale status; add the owner and build the pod with pod({ owner })`
      );
    }
    throw new Error(
      `the test server cannot compute ${budgetName(pdb)}'s status: pod ${pod.metadata.name}'s controller ${ref.kind} ${ref.name} has no scale the disruption controller could read (${ref.apiVersion} ${ref.kind} does not implement the scale subresource here), so its sync would fail; a budget with an integer minAvailable does not need it`
    );
  }

  /** getExpectedScale: the sum of the distinct controllers' replicas; pods without a controller are left out. */
  function expectedScale(pdb: KubeObject, pods: KubeObject[]): number {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      if (controllerOf(pod)) {
        const { uid, replicas } = controllerScale(pdb, pod);
        scales.set(uid, replicas);
      }
    }
    return [...scales.values()].reduce((a, b) => a + b, 0);
  }

  /** intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true). */
  const scaled = (value: number | string, total: number) =>
    typeof value === 'number' ? value : Math.ceil((parseInt(value, 10) * total) / 100);

  /**
   * The status the disruption controller writes (trySync, getExpectedPodCount, countHealthyPods,
   * updatePdbStatus in pkg/controller/disruption/disruption.go), always up to date here:
   * - maxUnavailable: expected = the controllers' replicas, desiredHealthy = expected - maxUnavailable
   *   (a percentage of expected, rounded up), at least 0;
   * - minAvailable as an int: desiredHealthy is it, expected the number of pods selected;
   *   as a percentage: of the controllers' replicas, rounded up;
   * - neither (policy/v1 defaults none): expected and desiredHealthy 0;
   * healthy: selected pods Ready and not terminating; disruptionsAllowed = healthy - desiredHealthy,
   * 0 when negative or when nothing is expected.
   */
  function pdbStatus(pdb: KubeObject) {
    const selector = budgetSelector(pdb);
    const pods = [...storeOf('Pod').values()].filter(
      (p) => p.metadata.namespace === pdb.metadata.namespace && matches(selector, p.metadata.labels)
    );
    const { minAvailable, maxUnavailable } = (pdb.spec ?? {}) as {
      minAvailable?: number | string | null;
      maxUnavailable?: number | string | null;
    };
    let expectedPods = 0;
    let desiredHealthy = 0;
    if (maxUnavailable != null) {
      expectedPods = expectedScale(pdb, pods);
      desiredHealthy = Math.max(0, expectedPods - scaled(maxUnavailable, expectedPods));
    } else if (typeof minAvailable === 'number') {
      desiredHealthy = minAvailable;
      expectedPods = pods.length;
    } else if (minAvailable != null) {
      expectedPods = expectedScale(pdb, pods);
      desiredHealthy = scaled(minAvailable, expectedPods);
    }
    const currentHealthy = pods.filter(isReady).length;
    const disruptionsAllowed = expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
    return {
      currentHealthy,
      desiredHealthy,
      disruptionsAllowed,
      expectedPods,
      // A budget the disruption controller has not synced since its last change (`staleBudget`).
      observedGeneration:
        (pdb.metadata.generation ?? 1) - (staleBudgets.has(id(pdb.metadata.name, pdb.metadata.namespace)) ? 1 : 0),
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
      // autoscaling/v1 ScaleSpec.replicas is omitempty: a Scale at zero replicas has none.
      spec: obj.spec?.replicas ? { replicas: obj.spec.replicas as number } : {},
      status: {
        replicas: obj.status?.replicas as number,
        selector: Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    };
  }

  /** The patch type a PATCH's Content-Type names, its `;` parameters cut; any other is 415 (handlers/patch.go). */
  function patchTypeOf(contentType: string | undefined): string {
    const patchType = contentType?.split(';')[0] ?? '';
    if (
      ![
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
        'application/json-patch+json',
      ].includes(patchType)
    ) {
      throw new HttpError(
        status(
          415,
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`
        )
      );
    }
    return patchType;
  }

  function applyPatch(target: KubeObject, contentType: string | undefined, body: unknown): KubeObject {
    try {
      // Strategic merge differs from a merge patch only for lists with merge keys, which the actions never send.
      return patchTypeOf(contentType) === 'application/json-patch+json'
        ? (jsonPatch(target as never, body) as unknown as KubeObject)
        : (mergePatch(structuredClone(target) as never, body as never) as unknown as KubeObject);
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

  /**
   * A write guarded by the resourceVersion its body carries, as the API server guards it: "" is none
   * (it parses as 0, which Store.Update takes as an unconditional update; see the notes at the top).
   */
  function checkPrecondition(route: Route, current: KubeObject, next: KubeObject) {
    const wanted = next.metadata?.resourceVersion;
    if (wanted && wanted !== current.metadata.resourceVersion) {
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

  /**
   * ValidateObjectMetaUpdate's annotation rule (apimachinery api/validation/objectmeta.go,
   * ValidateAnnotations): each key, lowercased, a qualified name; a 422 on the patched object.
   */
  function validateAnnotations(route: Route, kind: string, annotations: Record<string, unknown> | undefined) {
    for (const key of Object.keys(annotations ?? {})) {
      const errors = labelKeyErrors(key.toLowerCase());
      if (errors.length > 0) {
        throw new HttpError(
          invalid(kind, route, 'metadata.annotations', `Invalid value: ${JSON.stringify(key)}: ${errors.join('; ')}`)
        );
      }
    }
  }

  /** The object as a GET answers it: without its resourceVersion when a test asked (`readWithoutResourceVersion`). */
  function asRead(route: Route, obj: KubeObject): KubeObject {
    if (!unversioned.has(`${route.key}:${id(route.name ?? '', route.namespace)}`)) {
      return obj;
    }
    const { resourceVersion: _dropped, ...metadata } = obj.metadata;
    return { ...obj, metadata: metadata as KubeObject['metadata'] };
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

  /**
   * The dryRun a request's query carries (PATCH, PUT and POST take their options from the query),
   * its fieldValidation checked too, as Validate{Patch,Create,Update}Options check both.
   */
  function queryDryRun(optionsKind: string, params: URLSearchParams): string[] {
    const dryRun = params.getAll('dryRun');
    validateDryRun(optionsKind, dryRun);
    queryFieldValidation(optionsKind, params);
    return dryRun;
  }

  /**
   * fieldValidation as ValidateFieldValidation checks it (apimachinery meta/v1/validation): "",
   * Ignore, Warn or Strict; anything else is 422 FieldValueNotSupported for the options kind, the
   * supported values listed as the sorted set prints them. "" is Warn (handlers/rest.go, fieldValidation).
   */
  function queryFieldValidation(optionsKind: string, params: URLSearchParams): FieldValidation {
    const value = params.get('fieldValidation') ?? '';
    if (value !== '' && value !== 'Ignore' && value !== 'Warn' && value !== 'Strict') {
      throw new HttpError(
        invalid(
          optionsKind,
          { group: 'meta.k8s.io', resource: '', name: '' },
          'fieldValidation',
          `Unsupported value: ${JSON.stringify(value)}: supported values: "", "Ignore", "Strict", "Warn"`,
          'FieldValueNotSupported'
        )
      );
    }
    return value || 'Warn';
  }

  /**
   * The patched object's fields against its type (./fields.ts), as decoding it does (handlers/patch.go):
   * Strict refuses unknown ones with the 422 the handler answers, Warn drops them with a warning
   * each, Ignore drops them. A stored object with an unknown field is the test's mistake: thrown.
   */
  function checkFields(
    kind: string,
    current: KubeObject,
    next: KubeObject,
    record: RecordedRequest,
    directive: FieldValidation
  ) {
    const schema = schemas[kind];
    if (!schema) {
      if (directive === 'Strict') {
        throw new HttpError(
          status(
            400,
            `the test server cannot check fieldValidation=Strict on a ${kind}: it knows the fields of ${Object.keys(schemas).join(', ')} only (the API server would check it)`
          )
        );
      }
      return;
    }
    const stored = unknownFields(current, schema);
    if (stored.length > 0) {
      throw new Error(
        `the test server holds ${kind} ${current.metadata.name} with fields its type does not have (${stored.join(', ')}); the API server would not have stored it`
      );
    }
    const patchType = record.contentType?.split(';')[0];
    if (directive === 'Strict') {
      const reach = unmodelledReach(
        patchType === 'application/json-patch+json' ? jsonPatchReach(record.body) : record.body,
        schema
      );
      if (reach.length > 0) {
        throw new HttpError(
          status(
            400,
            `the test server cannot check fieldValidation=Strict under ${reach.join(', ')} of a ${kind}: it knows only the fields the healing actions patch (the API server would check it)`
          )
        );
      }
      const unknown = unknownFields(next, schema);
      if (unknown.length > 0) {
        // The strategic merge path prints the patch map (%+v), the merge and JSON patch paths the patched object.
        const value = patchType === 'application/strategic-merge-patch+json' ? goValue(record.body) : goJson(next);
        throw new HttpError(strictDecodingInvalid(value, unknown));
      }
      return;
    }
    const dropped = unknownFields(next, schema, true);
    if (directive === 'Warn') {
      record.warnings.push(...dropped.map((field) => `unknown field ${JSON.stringify(field)}`));
    }
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
    // The create handler, before the eviction's own Create (handlers/create.go, createHandler;
    // registry/rest/meta.go, EnsureObjectNamespaceMatchesRequestNamespace): an empty namespace is
    // the URL's, another one is a 400.
    const namespace = (eviction.metadata as { namespace?: string } | undefined)?.namespace;
    if (namespace && namespace !== route.namespace) {
      throw new HttpError(
        status(400, 'the namespace of the provided object does not match the namespace sent on the request')
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
      // getPodDisruptionBudgets: the namespace's budgets whose selector matches the pod's labels. A nil
      // selector matches nothing; an empty one ({}) every pod, as policy/v1 defines it and the disruption
      // controller counts it (the eviction's old `selector.Empty()` skip was removed by kubernetes/kubernetes
      // PR #119732, "Fix to honor PDB with an empty selector", in 1.29 and patch releases of 1.27 and 1.28).
      const budgets = [...storeOf('PodDisruptionBudget').values()].filter(
        (pdb) => pdb.metadata.namespace === pod.metadata.namespace && matches(budgetSelector(pdb), pod.metadata.labels)
      );
      if (budgets.length > 1) {
        // Create returns this Status as its result, not as an error, so the create handler writes it
        // with the success code: 201 whose body says Failure, code 500 (eviction.go, rtStatus;
        // handlers/create.go and response.go, transformResponseObject). Nothing is deleted.
        return multipleBudgets();
      }
      if (budgets.length === 1) {
        const budget = pdbStatus(budgets[0]);
        // An unready pod does not count as healthy: evicting it costs nothing while the budget is met.
        const unreadyAndMet =
          !isReady(pod) && budget.currentHealthy >= budget.desiredHealthy && budget.desiredHealthy > 0;
        // checkAndDecrement: a budget whose status is behind its spec says nothing yet (429, retry in 10s).
        if (!unreadyAndMet && budget.observedGeneration < (budgets[0].metadata.generation ?? 1)) {
          throw new HttpError(pdbStillProcessed(budgets[0].metadata.name));
        }
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
    const fields = fieldFilter(route.key, query.fieldSelector);
    const labels = parseLabelQuery(query.labelSelector);
    const items = [...(stores.get(route.key)?.values() ?? [])]
      .filter((o) => !route.namespace || o.metadata.namespace === route.namespace)
      .filter(fields)
      .filter((o) => matches(labels, o.metadata.labels))
      .map((o) => withStatus(route.key, o));
    const kind = Object.entries(storeKeys).find(([, key]) => key === route.key)?.[0] ?? 'Unknown';
    const filtered = Boolean(query.fieldSelector || query.labelSelector);
    return {
      kind: `${kind}List`,
      apiVersion: route.group ? `${route.group}/v1` : 'v1',
      ...chunk(items, query, resourceVersion, compactedBefore, filtered),
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
    // PatchResource reads the patch type (415) and validates the options (422) before anything is looked up.
    let directive: FieldValidation = 'Warn';
    if (method === 'PATCH') {
      patchTypeOf(contentType);
      writeDryRun();
      directive = queryFieldValidation('PatchOptions', params);
    }
    // A body is decoded by the codec its Content-Type names (create.go, update.go, delete.go all
    // call NegotiateInputSerializer first); PATCH picks its patch type instead (applyPatch).
    if (['POST', 'PUT', 'DELETE'].includes(method) && body !== undefined) {
      negotiateInput(contentType);
    }

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
        return [200, asRead(route, scale)];
      }
      const dryRun = writeDryRun();
      const next = method === 'PATCH' ? applyPatch(scale, contentType, body) : (body as KubeObject);
      if (method === 'PATCH') {
        checkFields('Scale', scale, next, record, directive);
      }
      // scaleUpdatedObjectInfo (pkg/registry/apps/*/storage/storage.go): a Scale naming another uid is 409.
      const uid = next.metadata?.uid;
      if (uid && uid !== workload.metadata.uid) {
        throw new HttpError(
          status(
            409,
            `Operation cannot be fulfilled on ${route.resource}/scale.apps "${route.name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${workload.metadata.uid}`,
            { name: route.name, group: 'apps', kind: `${route.resource}/scale` },
            'Conflict'
          )
        );
      }
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
      return [200, asRead(route, withStatus(route.key, route.key === '/pods' ? readPod(route) : lookup(route)))];
    }
    if (method === 'DELETE' && route.key === '/pods') {
      return [200, deleteWith(lookup(route), deleteOptions(params, body))];
    }
    if (method === 'PATCH' && route.key !== '/pods' && route.key !== 'policy/poddisruptionbudgets') {
      const dryRun = writeDryRun();
      const current = lookup(route);
      const next = applyPatch(current, contentType, body);
      checkFields(kindName, current, next, record, directive);
      checkPrecondition(route, current, next);
      validateReplicas(route, kindName, next.spec?.replicas);
      validateAnnotations(route, kindName, next.metadata.annotations);
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
      warnings: [],
    };
    requests.push(record);

    const send = (code: number, payload: unknown) => {
      if (res.destroyed) {
        return;
      }
      record.status = code;
      // Each as the apiserver's warning recorder writes it: code 299, agent "-", the text quoted.
      const warnings = record.warnings.map((text) => `299 - ${JSON.stringify(text)}`);
      // ErrorNegotiated (handlers/responsewriters/writers.go) names a Status's retryAfterSeconds in Retry-After.
      const retryAfter = (payload as KubeStatus | undefined)?.details?.retryAfterSeconds;
      res.writeHead(code, {
        'Content-Type': 'application/json',
        ...(warnings.length ? { Warning: warnings } : {}),
        ...(code >= 400 && retryAfter ? { 'Retry-After': String(retryAfter) } : {}),
      });
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
      if (fault.status === 429 && !fault.body && !res.destroyed) {
        // Load shed before any handler (apiserver pkg/server/filters/maxinflight.go and
        // priority-and-fairness.go, tooManyRequests): http.Error's plain text, with Retry-After.
        record.status = 429;
        res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' });
        res.end('Too many requests, please try again later.\n');
        return;
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
    if (method === 'POST' && route.namespace && terminatingNamespaces.has(route.namespace)) {
      send(403, namespaceTerminating(route));
      return;
    }
    try {
      const [code, payload] = handle(route, url.searchParams, record);
      send(code, payload);
    } catch (err) {
      if (err instanceof HttpError) {
        send(err.body.code, err.body);
      } else if (err instanceof ListRefusal) {
        const refusal = status(err.code, err.message, undefined, err.code === 410 ? 'Expired' : undefined);
        send(err.code, err.continueToken ? { ...refusal, metadata: { continue: err.continueToken } } : refusal);
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
        // Every object the API server stores has a uid (the registry's create fills it in).
        if (!obj.metadata?.uid) {
          throw new Error(
            `the test server refuses ${obj.kind} ${obj.metadata?.name} without a metadata.uid: the API server would not store it`
          );
        }
        if (obj.kind === 'PodDisruptionBudget') {
          validateBudget(obj);
        }
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
    staleBudget(name, namespace) {
      staleBudgets.add(id(name, namespace));
    },
    terminateNamespace(namespace) {
      terminatingNamespaces.add(namespace);
    },
    readWithoutResourceVersion(kind, name, namespace) {
      unversioned.add(`${storeKeys[kind]}:${id(name, namespace)}`);
    },
    expireContinueTokens() {
      // A compaction is a new revision: tokens issued from now on are newer than it.
      compactedBefore = resourceVersion++;
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
