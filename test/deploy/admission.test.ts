// deploy/admission/: the ValidatingAdmissionPolicy that keeps a leaked token of the backend's
// ServiceAccount from being root on every node. Its CEL is evaluated (test/deploy/admission.ts) on
// every write the healing actions send to the Kubernetes test double, dry runs included, as the API
// server would hand it to admission (all allowed), and on hostile changes (all denied).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { PlannedAction } from '../../src/contract/healing';
import { dryRunAction } from '../../src/server/healing/dryRun';
import { executeKubeAction, type KubeAction } from '../../src/server/kubernetes';
import { EVERY_ACTION, everyActionObjects } from '../kube/everyAction';
import { startHarness } from '../kube/harness';
import { daemonSet, deployment, node, pod, statefulSet, type KubeObject } from '../kube/objects';
import { mergePatch } from '../kube/patch';
import { parsePath, type RecordedRequest } from '../kube/server';
import { admissionPolicySchema, admit, type AdmissionRequest, type Json } from './admission';

const read = (path: string) => readFileSync(join(__dirname, '../..', path), 'utf8');
const documentsOf = (path: string) => parseAllDocuments(read(path)).map((d) => d.toJS());
const policyDocuments = documentsOf('deploy/admission/policy.yaml');
const policy = admissionPolicySchema.parse(policyDocuments.find((d) => d.kind === 'ValidatingAdmissionPolicy'));
const account = documentsOf('deploy/serviceaccount.yaml').find((d) => d.kind === 'ServiceAccount').metadata;
const USER = `system:serviceaccount:${account.namespace}:${account.name}`;
const json = (value: unknown): Json => JSON.parse(JSON.stringify(value));

/** Which stored kind a request path's group/resource names. */
const KINDS: Record<string, string> = {
  'apps/deployments': 'Deployment',
  'apps/statefulsets': 'StatefulSet',
  'apps/daemonsets': 'DaemonSet',
  '/pods': 'Pod',
  '/nodes': 'Node',
};
const OPERATIONS: Record<string, AdmissionRequest['operation']> = {
  POST: 'CREATE',
  PUT: 'UPDATE',
  PATCH: 'UPDATE',
  DELETE: 'DELETE',
};

/** What the API server writes itself on an update: a new generation when the spec changed, its managedFields. */
function asStored(old: Json, next: Json): Json {
  const o = json(old) as { metadata: Record<string, Json>; spec?: Json };
  const n = json(next) as { metadata: Record<string, Json>; spec?: Json };
  const specChanged = JSON.stringify(o.spec) !== JSON.stringify(n.spec);
  n.metadata.generation = Number(o.metadata.generation ?? 1) + (specChanged ? 1 : 0);
  n.metadata.managedFields = [{ manager: 'failureprophet', operation: 'Update', apiVersion: 'v1' }];
  return n;
}

/** A write the double received, as admission sees it: `oldObject` is the stored object when it arrived. */
function admissionOf(request: RecordedRequest, stored: KubeObject | undefined): AdmissionRequest {
  const route = parsePath(request.method, request.path)!;
  const base = {
    operation: OPERATIONS[request.method],
    group: route.group,
    resource: route.resource,
    subResource: route.subresource,
    name: route.name ?? '',
    namespace: route.namespace,
    username: USER,
  };
  const body = json(request.body ?? null);
  if (request.method === 'DELETE') {
    return { ...base, object: null, oldObject: json(stored) };
  }
  if (request.method === 'POST') {
    return { ...base, object: body, oldObject: null };
  }
  // The scale subresource's object is an autoscaling/v1 Scale made from the workload.
  const old: Json =
    route.subresource === 'scale'
      ? {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name: base.name, namespace: base.namespace ?? '', generation: 1 },
          spec: { replicas: json(stored?.spec?.replicas ?? null) },
          status: { replicas: json(stored?.status?.replicas ?? null) },
        }
      : json(stored ?? null);
  return { ...base, object: asStored(old, mergePatch(old as never, body as never) as Json), oldObject: old };
}

describe('deploy/admission/ (ValidatingAdmissionPolicy, Kubernetes 1.30+)', () => {
  it('stays out of deploy/kustomization.yaml, so an older API server can still apply deploy/', () => {
    expect(parse(read('deploy/kustomization.yaml')).resources.some((r: string) => r.includes('admission'))).toBe(false);
    expect(parse(read('deploy/admission/kustomization.yaml')).resources).toEqual(['policy.yaml']);
    expect(read('README.md')).toContain('kubectl apply -k deploy/admission/');
  });

  it('denies on error, and is bound with Deny to every request it matches', () => {
    expect(policy.spec.failurePolicy).toBe('Fail');
    const binding = policyDocuments.find((d) => d.kind === 'ValidatingAdmissionPolicyBinding');
    expect(binding.apiVersion).toBe('admissionregistration.k8s.io/v1');
    expect(binding.spec).toEqual({ policyName: policy.metadata.name, validationActions: ['Deny'] });
  });
});

describe('the policy on the requests the healing actions send', () => {
  const actions: PlannedAction[] = [
    ...EVERY_ACTION,
    // A second restart replaces the restartedAt the first one left.
    { type: 'restart', target: { kind: 'deployment', namespace: 'shop', name: 'cart' } },
  ];

  it('allows every write of every action and its dry run, and judges each kind of write the actions make', async () => {
    const h = await startHarness();
    try {
      h.kube.add(...everyActionObjects());
      // Each write's oldObject: the stored object as the request arrives (an observer, never a fault).
      const admissions: AdmissionRequest[] = [];
      h.kube.inject({
        path: /./,
        match: (request) => {
          const route = parsePath(request.method, request.path);
          const kind = route && KINDS[route.key];
          if (request.method !== 'GET' && kind) {
            admissions.push(admissionOf(request, h.kube.get(kind, route.name!, route.namespace)));
          }
          return false;
        },
      });
      for (const action of actions) {
        const dry = await dryRunAction(action, 'target', 0, h.client);
        expect({ action, error: dry.record.error }).toEqual({ action, error: undefined });
        const done = await executeKubeAction(h.client, (dry.pinned ?? action) as KubeAction);
        expect({ action, ok: done.ok }).toEqual({ action, ok: true });
      }
      const judged = admissions.map((a) => ({
        write: `${a.operation} ${a.resource}${a.subResource ? `/${a.subResource}` : ''} ${a.name}`,
        ...admit(policy, a),
      }));
      expect(judged.filter((j) => j.decision !== 'allowed')).toEqual([]);
      // If the code sent another kind of write, it would show here (and be judged above).
      expect([...new Set(judged.map((j) => j.write.split(' ').slice(0, 2).join(' ')))].sort()).toEqual([
        'CREATE pods/eviction',
        'DELETE pods',
        'UPDATE daemonsets',
        'UPDATE deployments',
        'UPDATE deployments/scale',
        'UPDATE nodes',
        'UPDATE statefulsets',
        'UPDATE statefulsets/scale',
      ]);
    } finally {
      await h.kube.close();
    }
  });
});

type Change = (object: any) => void;
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const restart: Change = (o) => {
  o.spec.template.metadata.annotations = { ...o.spec.template.metadata.annotations, [RESTARTED_AT]: 'now' };
};

/** An update by the backend's ServiceAccount of `old`, changed by `changes`. */
function update(old: KubeObject, group: string, resource: string, ...changes: Change[]): AdmissionRequest {
  const next = json(old);
  changes.forEach((change) => change(next));
  return {
    operation: 'UPDATE',
    group,
    resource,
    name: old.metadata.name,
    namespace: old.metadata.namespace,
    username: USER,
    object: asStored(json(old), next),
    oldObject: json(old),
  };
}

const cart = deployment({
  namespace: 'shop',
  name: 'cart',
  replicas: 2,
  annotations: { [RESTARTED_AT]: 'before', 'prometheus.io/scrape': 'true' },
});
const worker = node('n1');
worker.spec = { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], podCIDR: '10.0.1.0/24' };
const container = (o: any) => o.spec.template.spec.containers[0];

describe('the policy on what a leaked token could try', () => {
  it.each<[string, AdmissionRequest]>([
    [
      'a privileged container added',
      update(cart, 'apps', 'deployments', restart, (o) => {
        o.spec.template.spec.containers.push({ name: 'x', image: 'busybox', securityContext: { privileged: true } });
      }),
    ],
    ['the image swapped', update(cart, 'apps', 'deployments', (o) => (container(o).image = 'evil:1'))],
    [
      'the image swapped beside a restart',
      update(cart, 'apps', 'deployments', restart, (o) => (container(o).image = 'evil:1')),
    ],
    [
      'a hostPath volume',
      update(cart, 'apps', 'deployments', restart, (o) => {
        o.spec.template.spec.volumes = [{ name: 'root', hostPath: { path: '/' } }];
      }),
    ],
    [
      'hostNetwork on a StatefulSet',
      update(statefulSet({ namespace: 'shop', name: 'db' }), 'apps', 'statefulsets', (o) => {
        o.spec.template.spec.hostNetwork = true;
      }),
    ],
    [
      "a DaemonSet's service account",
      update(daemonSet({ namespace: 'shop', name: 'agent' }), 'apps', 'daemonsets', restart, (o) => {
        o.spec.template.spec.serviceAccountName = 'cluster-admin-sa';
      }),
    ],
    [
      'a label of the Deployment changed',
      update(cart, 'apps', 'deployments', (o) => (o.metadata.labels.app = 'other')),
    ],
    [
      'a pod template label changed',
      update(cart, 'apps', 'deployments', restart, (o) => {
        o.spec.template.metadata.labels.team = 'x';
      }),
    ],
    [
      'another template annotation beside restartedAt',
      update(cart, 'apps', 'deployments', restart, (o) => {
        o.spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/cart'] = 'unconfined';
      }),
    ],
    [
      'a template annotation removed',
      update(cart, 'apps', 'deployments', (o) => {
        o.spec.template.metadata.annotations = { [RESTARTED_AT]: 'before' };
      }),
    ],
    [
      'an annotation on the Deployment itself',
      update(cart, 'apps', 'deployments', (o) => {
        o.metadata.annotations = { note: 'x' };
      }),
    ],
    [
      'replicas through the object, not the scale subresource',
      update(cart, 'apps', 'deployments', (o) => (o.spec.replicas = 50)),
    ],
    ['the update strategy', update(cart, 'apps', 'deployments', (o) => (o.spec.strategy = { type: 'Recreate' }))],
    ['a node taint removed', update(worker, '', 'nodes', (o) => delete o.spec.taints)],
    [
      'a node taint removed while cordoning',
      update(worker, '', 'nodes', (o) => {
        o.spec.taints = [];
        o.spec.unschedulable = true;
      }),
    ],
    [
      'a node label',
      update(worker, '', 'nodes', (o) => (o.metadata.labels['node-role.kubernetes.io/control-plane'] = '')),
    ],
  ])('denies %s', (_what, request) => {
    expect(admit(policy, request)).toEqual({
      decision: 'denied',
      error: false,
      message: expect.stringContaining('UPDATE'),
    });
  });

  it.each<[string, Partial<AdmissionRequest>]>([
    // `object` is null on a DELETE, `oldObject` on a CREATE: the policy reads neither there.
    ['a Deployment deleted', { operation: 'DELETE', object: null, oldObject: json(cart) }],
    ['a Deployment created', { operation: 'CREATE', object: json(cart), oldObject: null }],
    [
      'a node deleted',
      { operation: 'DELETE', group: '', resource: 'nodes', name: 'n1', object: null, oldObject: json(worker) },
    ],
    [
      'a pod created',
      {
        operation: 'CREATE',
        group: '',
        resource: 'pods',
        object: json(pod({ namespace: 'shop', name: 'p' })),
        oldObject: null,
      },
    ],
    [
      'an ephemeral container',
      { operation: 'UPDATE', group: '', resource: 'pods', subResource: 'ephemeralcontainers' },
    ],
    [
      'an exec into a pod',
      {
        operation: 'CONNECT',
        group: '',
        resource: 'pods',
        subResource: 'exec',
        object: { command: ['sh'] },
        oldObject: null,
      },
    ],
    ['a Deployment status', { operation: 'UPDATE', subResource: 'status' }],
    ['a node status', { operation: 'UPDATE', group: '', resource: 'nodes', subResource: 'status', name: 'n1' }],
  ])('denies %s, on the rule alone', (_what, overrides) => {
    const request: AdmissionRequest = { ...update(cart, 'apps', 'deployments', restart), ...overrides };
    const path = `${request.resource}${request.subResource ? `/${request.subResource}` : ''}`;
    expect(admit(policy, request)).toEqual({
      decision: 'denied',
      error: false,
      message: expect.stringContaining(`refused: ${request.operation} ${path} ${request.name}`),
    });
  });

  it("judges nobody but the backend's ServiceAccount, and nothing but workloads, nodes and pods", () => {
    const hostile = update(cart, 'apps', 'deployments', (o) => (container(o).image = 'evil:1'));
    expect(admit(policy, { ...hostile, username: 'system:serviceaccount:kube-system:deployment-controller' })).toEqual({
      decision: 'not matched',
    });
    expect(admit(policy, { ...hostile, resource: 'replicasets' })).toEqual({ decision: 'not matched' });
    expect(admit(policy, { ...hostile, group: 'coordination.k8s.io', resource: 'leases' })).toEqual({
      decision: 'not matched',
    });
  });
});

describe('the policy where Kubernetes hands CEL something the double does not', () => {
  it('allows an uncordon whose unschedulable: false the API server stores as absent (omitempty)', () => {
    const cordoned = node('n1', true);
    expect(
      admit(
        policy,
        update(cordoned, '', 'nodes', (o) => delete o.spec.unschedulable)
      )
    ).toEqual({ decision: 'allowed' });
    expect(
      admit(
        policy,
        update(cordoned, '', 'nodes', (o) => (o.spec.unschedulable = false))
      )
    ).toEqual({ decision: 'allowed' });
  });

  it('allows a first restart of a template without annotations, and a node without a spec', () => {
    const bare = deployment({ namespace: 'shop', name: 'bare' });
    expect(bare.spec!.template).not.toHaveProperty('metadata.annotations');
    expect(admit(policy, update(bare, 'apps', 'deployments', restart))).toEqual({ decision: 'allowed' });
    const specless = node('n3');
    delete specless.spec;
    expect(
      admit(
        policy,
        update(specless, '', 'nodes', (o) => (o.spec = { unschedulable: true }))
      )
    ).toEqual({
      decision: 'allowed',
    });
  });

  it('reads request.subResource whether the API server leaves it out or sends it empty', () => {
    const ours = update(cart, 'apps', 'deployments', restart);
    expect(admit(policy, { ...ours, subResource: undefined })).toEqual({ decision: 'allowed' });
    expect(admit(policy, { ...ours, subResource: '' })).toEqual({ decision: 'allowed' });
  });
});
