// "Do no harm": a drain refuses pods keeping data in emptyDir volumes, as `kubectl drain` does
// without --delete-emptydir-data (kubectl pkg/drain/filters.go, localStorageFilter), and refuses
// before it cordons anything; `deleteEmptyDirData` evicts them. Exempt as kubectl exempts them:
// finished pods, DaemonSet and mirror pods (skipped before the rule is asked), and volumes that
// outlive the pod. On the Kubernetes API test server.

import { daemonSet, node, pod, type KubeObject } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { executeKubeAction } from './actions';
import { drain } from './drain';
import { reconcile } from './reconcile';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(node('n1'), node('n2'));
});
afterEach(() => h.kube.close());

/** The pod with these volumes (name and source, as the Pod spec writes them). */
function withVolumes(p: KubeObject, volumes: Array<Record<string, unknown>>): KubeObject {
  (p.spec as { volumes?: unknown }).volumes = volumes;
  return p;
}

const web = (name: string) =>
  pod({ namespace: 'shop', name, nodeName: 'n1', ownerKind: 'ReplicaSet', ownerName: 'web-5f7c' });
/** A ReplicaSet's pod with a scratch emptyDir on disk and a cache in memory: both die with the pod. */
const cache = (name: string, nodeName = 'n1') =>
  withVolumes(pod({ namespace: 'shop', name, nodeName, ownerKind: 'ReplicaSet', ownerName: 'cache-7d9f' }), [
    { name: 'scratch', emptyDir: {} },
    { name: 'hot', emptyDir: { medium: 'Memory' } },
    { name: 'config', configMap: { name: 'cache' } },
  ]);

const evictedNames = () =>
  h.kube.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/eviction')).map((r) => r.path.split('/')[6]);
const nodePatches = () => h.kube.requests.filter((r) => r.path.startsWith('/api/v1/nodes/') && r.method === 'PATCH');

describe('a drain of a node holding emptyDir data', () => {
  it('is refused before it cordons or evicts anything, naming the pods and their volumes', async () => {
    h.kube.add(web('web-a'), cache('cache-0'), cache('cache-1'));

    const outcome = await drain(h.client, { node: 'n1' });

    expect(!outcome.ok && outcome.error).toEqual({
      kind: 'unsafe',
      message:
        'node n1 runs pods keeping data in emptyDir volumes (shop/cache-0, shop/cache-1); drain them with deleteEmptyDirData to delete that data',
    });
    expect(!outcome.ok && outcome.report.left).toEqual([
      expect.objectContaining({
        name: 'cache-0',
        why: 'keeps data in emptyDir volume(s) scratch, hot, deleted with the pod',
      }),
      expect.objectContaining({
        name: 'cache-1',
        why: 'keeps data in emptyDir volume(s) scratch, hot, deleted with the pod',
      }),
    ]);
    expect(!outcome.ok && outcome.report).toMatchObject({ evicted: [], cordonedByDrain: false, uncordoned: false });
    expect(nodePatches()).toEqual([]);
    expect(evictedNames()).toEqual([]);
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBeUndefined();
  });

  it('its dry run says so, naming the pods and why, and changes nothing', async () => {
    h.kube.add(web('web-a'), cache('cache-0'));

    const outcome = await executeKubeAction(h.client, { type: 'drain', node: 'n1' }, { dryRun: true });

    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.report?.summary).toBe(
      'drain of node n1 failed after 0 eviction(s): node n1 runs pods keeping data in emptyDir volumes (shop/cache-0); drain them with deleteEmptyDirData to delete that data'
    );
    expect(!outcome.ok && outcome.report?.left).toEqual([
      { namespace: 'shop', name: 'cache-0', uid: expect.any(String), why: expect.stringContaining('scratch, hot') },
    ]);
    expect(h.kube.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('with deleteEmptyDirData, the same action evicts them like any other pod', async () => {
    h.kube.add(web('web-a'), cache('cache-0'));
    const refused = await executeKubeAction(h.client, { type: 'drain', node: 'n1' });
    expect(!refused.ok && refused.error.kind).toBe('unsafe');

    const outcome = await executeKubeAction(h.client, { type: 'drain', node: 'n1', deleteEmptyDirData: true });

    expect(outcome.ok).toBe(true);
    expect(evictedNames()).toEqual(['cache-0', 'web-a']);
    expect(h.kube.get('Pod', 'cache-0', 'shop')).toBeUndefined();
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(true);
  });

  it('does not count the pods kubectl exempts: finished, DaemonSet, mirror, volumes that outlive the pod, namespaces the drain may not touch', async () => {
    const agent = daemonSet({ namespace: 'monitoring', name: 'agent' });
    h.kube.add(
      web('web-a'),
      cache('cache-0'),
      withVolumes(pod({ namespace: 'batch', name: 'report-once', nodeName: 'n1', phase: 'Succeeded', ready: false }), [
        { name: 'out', emptyDir: {} },
      ]),
      agent,
      withVolumes(pod({ namespace: 'monitoring', name: 'agent-x', nodeName: 'n1', owner: agent }), [
        { name: 'buffer', emptyDir: {} },
      ]),
      withVolumes(pod({ namespace: 'kube-system', name: 'etcd-n1', nodeName: 'n1', mirror: true }), [
        { name: 'tmp', emptyDir: {} },
      ]),
      withVolumes(
        pod({ namespace: 'shop', name: 'logs-0', nodeName: 'n1', ownerKind: 'StatefulSet', ownerName: 'logs' }),
        [
          { name: 'host', hostPath: { path: '/var/log' } },
          { name: 'data', persistentVolumeClaim: { claimName: 'data-logs-0' } },
        ]
      ),
      withVolumes(
        pod({ namespace: 'kept', name: 'tmp-0', nodeName: 'n1', ownerKind: 'ReplicaSet', ownerName: 'tmp' }),
        [{ name: 'scratch', emptyDir: {} }]
      )
    );

    const mayEvict = (namespace: string) => (namespace === 'kept' ? { why: 'namespace kept is denied' } : undefined);

    const refused = await drain(h.client, { node: 'n1', mayEvict });
    expect(!refused.ok && refused.report.left.map((p) => p.name)).toEqual(['cache-0']);

    h.kube.remove('Pod', 'cache-0', 'shop');
    const outcome = await drain(h.client, { node: 'n1', mayEvict });
    expect(outcome.ok).toBe(true);
    expect(evictedNames().sort()).toEqual(['logs-0', 'report-once', 'web-a']);
    expect(outcome.ok && outcome.value.skipped.map((s) => `${s.name}: ${s.reason}`)).toEqual([
      'tmp-0: namespace',
      'etcd-n1: mirror',
      'agent-x: daemonset',
    ]);
  });

  it('an unmanaged pod with emptyDir data needs both options, and the refusal says which is missing', async () => {
    h.kube.add(
      withVolumes(pod({ namespace: 'shop', name: 'debug', nodeName: 'n1' }), [{ name: 'work', emptyDir: {} }])
    );

    const neither = await drain(h.client, { node: 'n1' });
    expect(!neither.ok && neither.error.message).toBe(
      'node n1 runs pods no controller would recreate (shop/debug); drain them with evictUnmanaged to lose them; it also runs pods keeping data in emptyDir volumes (shop/debug); drain them with deleteEmptyDirData to delete that data'
    );
    expect(!neither.ok && neither.report.left.map((p) => p.why)).toEqual([
      'not managed by a controller: once evicted nothing recreates it; keeps data in emptyDir volume(s) work, deleted with the pod',
    ]);

    const oneOfTwo = await drain(h.client, { node: 'n1', evictUnmanaged: true });
    expect(!oneOfTwo.ok && oneOfTwo.error.message).toBe(
      'node n1 runs pods keeping data in emptyDir volumes (shop/debug); drain them with deleteEmptyDirData to delete that data'
    );
    expect(nodePatches()).toEqual([]);

    const both = await drain(h.client, { node: 'n1', evictUnmanaged: true, deleteEmptyDirData: true });
    expect(both.ok).toBe(true);
    expect(evictedNames()).toEqual(['debug']);
  });

  it('a pod bound to the node between the look and the cordon refuses the drain after it: the cordon is undone', async () => {
    h.kube.add(web('web-a'));
    h.kube.inject({
      method: 'PATCH',
      path: '/api/v1/nodes/n1',
      times: 1,
      sideEffect: () => h.kube.add(cache('cache-0')),
    });

    const outcome = await drain(h.client, { node: 'n1' });

    expect(!outcome.ok && outcome.error.message).toBe(
      'node n1 runs pods keeping data in emptyDir volumes (shop/cache-0); drain them with deleteEmptyDirData to delete that data; node n1 uncordoned'
    );
    expect(evictedNames()).toEqual([]);
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(false);
  });
});

describe('reconciling a drain on a node holding emptyDir data', () => {
  it('counts the pods as left to do only when the drain was told to delete their data', async () => {
    h.kube.add(node('n3', true), cache('cache-0', 'n3'));

    const without = await reconcile(h.client, { type: 'drain', node: 'n3' });
    expect(without.ok && without.value).toEqual({
      state: 'done',
      observed: 'node n3 is cordoned and runs no pod a drain would evict',
    });
    const withFlag = await reconcile(h.client, { type: 'drain', node: 'n3', deleteEmptyDirData: true });
    expect(withFlag.ok && withFlag.value).toEqual({
      state: 'not-done',
      observed: 'node n3 is cordoned and still runs shop/cache-0',
    });
  });
});
