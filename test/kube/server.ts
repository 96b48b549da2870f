// A Kubernetes API test server: the real paths, verbs and JSON for the objects the healing actions
// touch, with dryRun=All, resourceVersion conflicts, PodDisruptionBudgets on eviction, injected
// errors and delays, and a record of every request, so tests assert what reached the "cluster".
//
//   const kube = await startKubeTestServer();
//   kube.add(deployment({ namespace: 'shop', name: 'cart', replicas: 3 }));
//   kube.inject({ method: 'PATCH', path: /\/scale$/, status: 403 });
//   ... kube.requests ... await kube.close();

import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { KubeObject } from './objects';
import { jsonPatch, mergePatch, PatchError } from './patch';
import { conflict, injectedStatus, invalid, KubeStatus, notFound, pdbBlocked, ResourceRef, status } from './status';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: unknown;
}

export interface Fault {
  method?: string;
  /** Matched against the path without the query string. */
  path: string | RegExp;
  /** Answer with this code and a Status worded for the request; omit to only delay. */
  status?: number;
  /** A Status body of one's own instead of the generated one. */
  body?: KubeStatus;
  delayMs?: number;
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
}

export interface KubeTestServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests that could change something (every verb but GET). */
  writes(): RecordedRequest[];
  add(...objects: KubeObject[]): void;
  /** A copy of the stored object, or undefined. Kind as in the object: 'Deployment', 'Pod', ... */
  get(kind: string, name: string, namespace?: string): KubeObject | undefined;
  list(kind: string): KubeObject[];
  remove(kind: string, name: string, namespace?: string): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** A deleted or evicted pod stays visible (terminating) for this many GETs of it; 0 by default. */
  setPodTerminationReads(reads: number): void;
  close(): Promise<void>;
}

const storeKeys: Record<string, string> = {
  Deployment: 'apps/deployments',
  StatefulSet: 'apps/statefulsets',
  DaemonSet: 'apps/daemonsets',
  Pod: '/pods',
  Node: '/nodes',
  PodDisruptionBudget: 'policy/poddisruptionbudgets',
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

/** The RBAC terms (group, resource/subresource, verb) of a request path, as the API server authorizes it. */
export function parsePath(method: string, path: string): Route | undefined {
  const match =
    /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path) ??
    /^\/apis\/(apps|policy)\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path);
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
    DELETE: 'delete',
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

function matchesLabels(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function parseSelector(selector: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const term of (selector ?? '').split(',').filter(Boolean)) {
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
  // uid of a pod being deleted → how many more reads still see it.
  const terminating = new Map<string, number>();
  let terminationReads = 0;
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
    (deleted.metadata as Record<string, unknown>).deletionGracePeriodSeconds =
      gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds;
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

  function checkUidPrecondition(pod: KubeObject, options: { preconditions?: { uid?: string } } | undefined) {
    const uid = options?.preconditions?.uid;
    if (uid && uid !== pod.metadata.uid) {
      throw new HttpError(
        status(409, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`, {
          name: pod.metadata.name,
          kind: 'pods',
        })
      );
    }
  }

  function evict(route: Route, body: unknown, dryRun: boolean): KubeStatus {
    const eviction = body as {
      kind?: string;
      deleteOptions?: { gracePeriodSeconds?: number; preconditions?: { uid?: string } };
    };
    if (eviction?.kind !== 'Eviction') {
      throw new HttpError(
        status(
          400,
          `Eviction in version "v1" cannot be handled as a Eviction: no kind "${eviction?.kind}" is registered`
        )
      );
    }
    const pod = lookup({ ...route, subresource: undefined });
    checkUidPrecondition(pod, eviction.deleteOptions);
    // A pod already being deleted may be evicted whatever its budget says.
    if (!pod.metadata.deletionTimestamp) {
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
        if (budget.disruptionsAllowed <= 0 && isReady(pod)) {
          throw new HttpError(pdbBlocked(budgets[0].metadata.name, budget.desiredHealthy, budget.currentHealthy));
        }
      }
      deletePod(pod, eviction.deleteOptions?.gracePeriodSeconds, dryRun);
    }
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  function list(route: Route, query: Record<string, string>) {
    const fields = parseSelector(query.fieldSelector);
    for (const field of Object.keys(fields)) {
      if (field !== 'spec.nodeName' && field !== 'metadata.name') {
        throw new HttpError(status(400, `field label not supported: ${field}`));
      }
    }
    const labels = parseSelector(query.labelSelector);
    const items = [...(stores.get(route.key)?.values() ?? [])]
      .filter((o) => !route.namespace || o.metadata.namespace === route.namespace)
      .filter((o) => !fields['spec.nodeName'] || o.spec?.nodeName === fields['spec.nodeName'])
      .filter((o) => !fields['metadata.name'] || o.metadata.name === fields['metadata.name'])
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

  function handle(
    method: string,
    route: Route,
    query: Record<string, string>,
    contentType: string | undefined,
    body: unknown
  ): [number, unknown] {
    const dryRun = query.dryRun !== undefined;
    if (dryRun && query.dryRun !== 'All') {
      throw new HttpError(status(400, `dryRun: Unsupported value: "${query.dryRun}": supported values: "All"`));
    }
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

    if (!route.name) {
      allowed(method === 'GET');
      return [200, list(route, query)];
    }
    if (route.subresource === 'scale') {
      allowed(scalable.has(route.key) && ['GET', 'PATCH', 'PUT'].includes(method));
      const workload = lookup(route);
      const scale = scaleOf(workload);
      if (method === 'GET') {
        return [200, scale];
      }
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
      return [201, evict(route, body, dryRun)];
    }
    allowed(route.subresource === undefined);
    if (method === 'GET') {
      return [200, withStatus(route.key, route.key === '/pods' ? readPod(route) : lookup(route))];
    }
    if (method === 'DELETE' && route.key === '/pods') {
      const pod = lookup(route);
      const options = body as { gracePeriodSeconds?: number; preconditions?: { uid?: string } } | undefined;
      checkUidPrecondition(pod, options);
      const grace =
        query.gracePeriodSeconds !== undefined ? Number(query.gracePeriodSeconds) : options?.gracePeriodSeconds;
      return [200, deletePod(pod, grace, dryRun)];
    }
    if (method === 'PATCH' && route.key !== '/pods' && route.key !== 'policy/poddisruptionbudgets') {
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
    const query = Object.fromEntries(url.searchParams);
    const contentType = req.headers['content-type'];
    requests.push({ method, path: url.pathname, query, contentType, authorization: req.headers.authorization, body });

    const send = (code: number, payload: unknown) => {
      if (res.destroyed) {
        return;
      }
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const route = parsePath(method, url.pathname);
    const ref: Route = route ?? { key: '', group: '', resource: url.pathname, verb: method.toLowerCase() };

    const fault = faults.find(
      (f) =>
        (f.times === undefined || f.used < f.times) &&
        (!f.method || f.method === method) &&
        (typeof f.path === 'string' ? f.path === url.pathname : f.path.test(url.pathname))
    );
    if (fault) {
      fault.used += 1;
      fault.sideEffect?.();
      if (fault.delayMs) {
        // Unref'd: a delay still pending when the test closes the server must not keep Jest alive.
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
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
    try {
      const [code, payload] = handle(method, route, query, contentType, body);
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
    setPodTerminationReads(reads) {
      terminationReads = reads;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
