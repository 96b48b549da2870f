// Orphaned DaemonSet pods, pods listed without a uid, and every refusal leaving the node schedulable.
// A drain reads the DaemonSet of each DaemonSet pod before skipping it, as `kubectl drain` does
// (kubectl pkg/drain/filters.go, daemonSetFilter): gone, the pod is one nothing recreates, refused
// unless evictUnmanaged (kubectl: --force); any other answer refuses the drain whatever its options.
// On the Kubernetes API test server.

import type { V1ObjectMeta } from '@kubernetes/client-node';
import { daemonSet, node, pod, type KubeObject } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { executeKubeAction } from './actions';
import type { KubeClient } from './client';
import { drain } from './drain';
import { reconcile } from './reconcile';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(node('n1'), node('n2'));
});
afterEach(() => h.kube.close());

const agent = () => daemonSet({ namespace: 'monitoring', name: 'agent' });
const agentPod = (owner: KubeObject, name = 'agent-n1', nodeName = 'n1') =>
  pod({ namespace: 'monitoring', name, nodeName, owner });
const web = (name: string) =>
  pod({ namespace: 'shop', name, nodeName: 'n1', ownerKind: 'ReplicaSet', ownerName: 'web-5f7c' });

const evictedNames = () =>
  h.kube.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/eviction')).map((r) => r.path.split('/')[6]);
const nodePatches = () => h.kube.requests.filter((r) => r.path === '/api/v1/nodes/n1' && r.method === 'PATCH');
const daemonSetReads = () => h.kube.requests.filter((r) => r.path.includes('/daemonsets/')).map((r) => r.path);
const schedulable = () => h.kube.get('Node', 'n1')!.spec?.unschedulable !== true;

/** The client, but the object named `name` comes back without its uid from the `from`th call of `method` on. */
function answersWithoutUid(
  method: 'listPodForAllNamespaces' | 'deleteNamespacedPod' | 'readNamespacedDaemonSet',
  name: string,
  from = 1
): KubeClient {
  let calls = 0;
  type Answer = { metadata?: V1ObjectMeta } | { items: Array<{ metadata?: V1ObjectMeta }> };
  const withoutUid = <Api extends object>(api: Api) =>
    new Proxy(api, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== method) {
          return value;
        }
        return async (...args: unknown[]) => {
          const answer = await (value as (...a: unknown[]) => Promise<Answer>).apply(target, args);
          if (++calls >= from) {
            ('items' in answer ? answer.items : [answer])
              .filter((o) => o.metadata?.name === name)
              .forEach((o) => delete o.metadata!.uid);
          }
          return answer;
        };
      },
    });
  return { ...h.client, core: withoutUid(h.client.core), apps: withoutUid(h.client.apps) };
}
const listsWithoutUid = (name: string, from = 1) => answersWithoutUid('listPodForAllNamespaces', name, from);

describe('a drain of a node running a pod whose DaemonSet is gone', () => {
  it('is refused before the cordon, naming the pods and their DaemonSet; the DaemonSet is read once', async () => {
    const gone = agent();
    h.kube.add(web('web-a'), agentPod(gone), agentPod(gone, 'agent-n1-old'));

    const outcome = await drain(h.client, { node: 'n1' });

    expect(!outcome.ok && outcome.error).toEqual({
      kind: 'unsafe',
      message:
        'node n1 runs pods of DaemonSets that are gone (monitoring/agent-n1 of DaemonSet agent, monitoring/agent-n1-old of DaemonSet agent); drain them with evictUnmanaged to lose them',
    });
    expect(!outcome.ok && outcome.report.left).toEqual([
      {
        namespace: 'monitoring',
        name: 'agent-n1',
        uid: expect.any(String),
        why: 'its DaemonSet agent is gone: once evicted nothing recreates it',
      },
      expect.objectContaining({ name: 'agent-n1-old' }),
    ]);
    expect(daemonSetReads()).toEqual(['/apis/apps/v1/namespaces/monitoring/daemonsets/agent']);
    expect(nodePatches()).toEqual([]);
    expect(evictedNames()).toEqual([]);
    expect(schedulable()).toBe(true);
  });

  it('its dry run says the same and writes nothing', async () => {
    h.kube.add(web('web-a'), agentPod(agent()));

    const outcome = await executeKubeAction(h.client, { type: 'drain', node: 'n1' }, { dryRun: true });

    expect(!outcome.ok && outcome.report?.summary).toBe(
      'drain of node n1 failed after 0 eviction(s): node n1 runs pods of DaemonSets that are gone (monitoring/agent-n1 of DaemonSet agent); drain them with evictUnmanaged to lose them'
    );
    expect(h.kube.writes()).toEqual([]);
  });

  it('a DaemonSet of that name with another uid is not its owner: refused all the same', async () => {
    const old = agent();
    const recreated = agent();
    h.kube.add(agentPod(old));
    h.kube.add(recreated);

    const outcome = await drain(h.client, { node: 'n1' });

    expect(!outcome.ok && outcome.report.left.map((p) => p.why)).toEqual([
      `its DaemonSet agent (uid ${old.metadata.uid}) is gone; the DaemonSet of that name now (uid ${recreated.metadata.uid}) does not own it: once evicted nothing recreates it`,
    ]);
    expect(nodePatches()).toEqual([]);
  });

  it('with evictUnmanaged the orphan is evicted; no DaemonSet is read for a finished pod or one the drain may not touch', async () => {
    const present = daemonSet({ namespace: 'monitoring', name: 'exporter' });
    h.kube.add(
      present,
      web('web-a'),
      agentPod(agent()),
      agentPod(present, 'exporter-n1'),
      // Finished: removed like any finished pod (filters.go asks nothing of its controller).
      pod({ namespace: 'monitoring', name: 'batch-agent-n1', nodeName: 'n1', phase: 'Failed', owner: agent() }),
      // In a namespace the drain leaves alone, whatever its controller.
      pod({
        namespace: 'kept',
        name: 'kept-agent-n1',
        nodeName: 'n1',
        owner: daemonSet({ namespace: 'kept', name: 'a' }),
      })
    );
    const mayEvict = (namespace: string) => (namespace === 'kept' ? { why: 'namespace kept is denied' } : undefined);

    const outcome = await drain(h.client, { node: 'n1', evictUnmanaged: true, mayEvict });

    expect(outcome.ok).toBe(true);
    expect(evictedNames()).toEqual(['agent-n1', 'batch-agent-n1', 'web-a']);
    expect(outcome.ok && outcome.value.skipped.map((s) => `${s.name}: ${s.reason}`)).toEqual([
      'kept-agent-n1: daemonset',
      'exporter-n1: daemonset',
    ]);
    // Once before the cordon and once after it.
    expect(daemonSetReads()).toEqual([
      '/apis/apps/v1/namespaces/monitoring/daemonsets/agent',
      '/apis/apps/v1/namespaces/monitoring/daemonsets/exporter',
      '/apis/apps/v1/namespaces/monitoring/daemonsets/agent',
      '/apis/apps/v1/namespaces/monitoring/daemonsets/exporter',
    ]);
  });

  it('an orphan keeping emptyDir data needs deleteEmptyDirData too, as kubectl drain --force alone does not delete it', async () => {
    const orphan = agentPod(agent());
    (orphan.spec as { volumes?: unknown }).volumes = [{ name: 'buffer', emptyDir: {} }];
    h.kube.add(orphan);

    const outcome = await drain(h.client, { node: 'n1', evictUnmanaged: true });

    expect(!outcome.ok && outcome.error.message).toBe(
      'node n1 runs pods keeping data in emptyDir volumes (monitoring/agent-n1); drain them with deleteEmptyDirData to delete that data'
    );
    expect(nodePatches()).toEqual([]);
  });

  it('reconciling a drain counts the orphan as left to do only when the drain was told to evict it', async () => {
    h.kube.add(node('n3', true), agentPod(agent(), 'agent-n3', 'n3'));

    const without = await reconcile(h.client, { type: 'drain', node: 'n3' });
    expect(without.ok && without.value.state).toBe('done');
    const told = await reconcile(h.client, { type: 'drain', node: 'n3', evictUnmanaged: true });
    expect(told.ok && told.value).toEqual({
      state: 'not-done',
      observed: 'node n3 is cordoned and still runs monitoring/agent-n3',
    });
  });
});

describe('a drain that cannot read a DaemonSet', () => {
  it.each([
    [403, 'forbidden'],
    [500, 'server-error'],
  ])('answered %i, is refused before the cordon whatever its options', async (status, kind) => {
    const present = agent();
    h.kube.add(present, web('web-a'), agentPod(present));
    h.kube.inject({ method: 'GET', path: '/apis/apps/v1/namespaces/monitoring/daemonsets/agent', status });

    const outcome = await drain(h.client, { node: 'n1', evictUnmanaged: true });

    expect(!outcome.ok && outcome.error.kind).toBe(kind);
    expect(!outcome.ok && outcome.error.message).toMatch(
      /^could not tell whether DaemonSet monitoring\/agent, which runs monitoring\/agent-n1, still exists: /
    );
    expect(nodePatches()).toEqual([]);
    expect(evictedNames()).toEqual([]);
    expect(schedulable()).toBe(true);
  });
});

describe('a DaemonSet answered without a uid', () => {
  it('refuses the drain before the cordon: whether it still owns its pod cannot be told', async () => {
    const present = agent();
    h.kube.add(present, agentPod(present));

    const outcome = await drain(answersWithoutUid('readNamespacedDaemonSet', 'agent'), { node: 'n1' });

    expect(!outcome.ok && outcome.error).toMatchObject({
      kind: 'unexpected',
      message:
        'Kubernetes answered DaemonSet monitoring/agent without a uid, which a real API server always gives: could not tell whether it still owns monitoring/agent-n1',
    });
    expect(nodePatches()).toEqual([]);
  });
});

describe('a pod listed without a uid', () => {
  it('refuses the drain before the cordon: its eviction could be pinned to no pod', async () => {
    h.kube.add(web('web-a'), web('web-b'));

    const outcome = await drain(listsWithoutUid('web-b'), { node: 'n1' });

    expect(!outcome.ok && outcome.error).toMatchObject({
      kind: 'unexpected',
      message:
        'Kubernetes listed pods on node n1 without what a real API server gives every pod (shop/web-b: no uid): a drain evicts a pod only by its uid, so nothing was evicted',
    });
    expect(h.kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/pods']);
    expect(schedulable()).toBe(true);
  });

  it('reconciling a drain says so rather than counting it', async () => {
    h.kube.add(node('n3', true), pod({ namespace: 'shop', name: 'web-c', nodeName: 'n3', ownerKind: 'ReplicaSet' }));

    const seen = await reconcile(listsWithoutUid('web-c'), { type: 'drain', node: 'n3' });

    expect(!seen.ok && seen.error.kind).toBe('unexpected');
  });
});

describe("a delete-pod dry run answered without the pod's uid", () => {
  it('is refused: the real delete could not be pinned to the pod the dry run saw', async () => {
    h.kube.add(web('web-a'));

    const outcome = await executeKubeAction(
      answersWithoutUid('deleteNamespacedPod', 'web-a'),
      { type: 'delete-pod', namespace: 'shop', name: 'web-a' },
      { dryRun: true }
    );

    expect(!outcome.ok && outcome.error).toMatchObject({
      kind: 'unexpected',
      message:
        "Kubernetes answered the dry run of deleting pod shop/web-a without the pod's uid, which a real API server always gives: the delete could not be pinned to this pod, so the dry run refuses it",
    });
    expect(h.kube.realWrites()).toEqual([]);
  });
});

/**
 * Each way a drain is refused, made true before the drain looks (`before`) or by the time it looks
 * again after its cordon (`after`, the cordon's side effect): never a node left cordoned by the drain.
 */
const refusals: Array<{ kind: string; make: () => void; client?: (from: number) => KubeClient }> = [
  {
    kind: 'a pod nothing recreates',
    make: () => h.kube.add(pod({ namespace: 'shop', name: 'debug', nodeName: 'n1' })),
  },
  {
    kind: 'a pod keeping emptyDir data',
    make: () => {
      const cache = web('cache-0');
      (cache.spec as { volumes?: unknown }).volumes = [{ name: 'scratch', emptyDir: {} }];
      h.kube.add(cache);
    },
  },
  { kind: 'a pod whose DaemonSet is gone', make: () => h.kube.add(agentPod(agent())) },
  {
    kind: 'a DaemonSet that cannot be read',
    make: () => {
      const present = agent();
      h.kube.add(present, agentPod(present));
      h.kube.inject({ method: 'GET', path: /\/daemonsets\//, status: 403 });
    },
  },
  {
    kind: 'a pod listed without a uid',
    make: () => h.kube.add(web('web-b')),
    client: (from) => listsWithoutUid('web-b', from),
  },
];

describe.each(refusals)('refused for $kind', ({ make, client }) => {
  beforeEach(() => h.kube.add(web('web-a')));

  it('before the cordon: the node is never patched and stays schedulable', async () => {
    make();

    const outcome = await drain(client?.(1) ?? h.client, { node: 'n1' });

    expect(outcome.ok).toBe(false);
    expect(nodePatches()).toEqual([]);
    expect(schedulable()).toBe(true);
  });

  it('after the cordon (true by the time it looks again): its cordon is undone', async () => {
    h.kube.inject({ method: 'PATCH', path: '/api/v1/nodes/n1', times: 1, sideEffect: make });

    const outcome = await drain(client?.(2) ?? h.client, { node: 'n1', owner: '7@2026-12-07T00:00:00.000Z' });

    expect(!outcome.ok && outcome.report).toMatchObject({ cordonedByDrain: true, uncordoned: true, evicted: [] });
    expect(evictedNames()).toEqual([]);
    expect(schedulable()).toBe(true);
    expect(h.kube.get('Node', 'n1')!.metadata.annotations?.['failureprophet.io/cordoned-by']).toBeUndefined();
  });

  it('on resuming a drain whose earlier run cordoned the node: that cordon is undone too', async () => {
    h.kube.remove('Node', 'n1');
    h.kube.add(node('n1', true));
    make();

    const outcome = await drain(client?.(1) ?? h.client, {
      node: 'n1',
      resume: { cordonedByDrain: true, evicted: [] },
    });

    expect(!outcome.ok && outcome.report).toMatchObject({ uncordoned: true });
    expect(schedulable()).toBe(true);
  });

  it('on a node an operator cordoned: the operator’s cordon stays', async () => {
    h.kube.remove('Node', 'n1');
    h.kube.add(node('n1', true));
    make();

    const outcome = await drain(client?.(1) ?? h.client, { node: 'n1' });

    expect(!outcome.ok && outcome.report).toMatchObject({ cordonedByDrain: false, uncordoned: false });
    expect(nodePatches()).toEqual([]);
    expect(schedulable()).toBe(false);
  });
});
