import { daemonSet, node, pod, podDisruptionBudget } from '../../../test/kube/objects';
import { Harness, startHarness } from '../../../test/kube/harness';
import { pdbForbidden } from '../../../test/kube/status';
import { drain } from './drain';
import type { DrainProgress } from './drainProgress';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(node('n1'), node('n2'));
});
afterEach(() => h.kube.close());

const web = (name: string, nodeName = 'n1', grace?: number) =>
  pod({
    namespace: 'shop',
    name,
    nodeName,
    labels: { app: 'web' },
    ownerKind: 'ReplicaSet',
    ownerName: 'web-5f7c',
    terminationGracePeriodSeconds: grace,
  });
/** The DaemonSet whose pod runs on n1: a drain skips it. */
const nodeExporter = daemonSet({ namespace: 'monitoring', name: 'node-exporter' });
/** The web pods' PodDisruptionBudget. */
const webBudget = (minAvailable: number) =>
  podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable });
/** Two web pods on n1 and one on n2, of which the budget keeps two: n1's second pod waits for a replacement. */
const addWebsBehindBudget = () => h.kube.add(web('web-1'), web('web-2'), web('web-3', 'n2'), webBudget(2));
const uidOf = (name: string, namespace = 'shop') => h.kube.get('Pod', name, namespace)!.metadata.uid;
const evictions = () => h.kube.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/eviction'));
const evictedNames = () => evictions().map((r) => r.path.split('/')[6]);
const nodePatches = () => h.kube.writes().filter((r) => r.path.startsWith('/api/v1/nodes/'));

describe('drain', () => {
  it('cordons, evicts what kubectl drain --ignore-daemonsets would, skips DaemonSet and mirror pods and says why', async () => {
    h.kube.add(
      web('web-a'),
      web('web-b', 'n1', 600),
      web('web-c', 'n2'),
      nodeExporter,
      pod({ namespace: 'monitoring', name: 'node-exporter-x', nodeName: 'n1', owner: nodeExporter }),
      pod({ namespace: 'kube-system', name: 'kube-proxy-n1', nodeName: 'n1', mirror: true })
    );
    const uids = { a: uidOf('web-a'), b: uidOf('web-b') };
    const saved: DrainProgress[] = [];

    const outcome = await drain(h.client, {
      node: 'n1',
      maxGracePeriodSeconds: 60,
      onProgress: (p) => void saved.push(p),
    });

    expect(outcome.ok).toBe(true);
    expect(nodePatches()[0]).toMatchObject({
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { unschedulable: true } },
    });
    expect(h.kube.requests.find((r) => r.path === '/api/v1/pods')?.query).toEqual({
      fieldSelector: 'spec.nodeName=n1',
    });
    expect(evictions().map((r) => [r.path, r.body])).toEqual([
      [
        '/api/v1/namespaces/shop/pods/web-a/eviction',
        {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: 'web-a', namespace: 'shop' },
          deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: uids.a } },
        },
      ],
      [
        '/api/v1/namespaces/shop/pods/web-b/eviction',
        expect.objectContaining({ deleteOptions: { gracePeriodSeconds: 60, preconditions: { uid: uids.b } } }),
      ],
    ]);
    const report = outcome.ok ? outcome.value : undefined;
    expect(report?.evicted.map((p) => p.name)).toEqual(['web-a', 'web-b']);
    // In the order the API server lists them: by namespace, then name.
    expect(report?.skipped).toEqual([
      expect.objectContaining({
        namespace: 'kube-system',
        name: 'kube-proxy-n1',
        reason: 'mirror',
        why: expect.stringContaining('static pod'),
      }),
      expect.objectContaining({
        namespace: 'monitoring',
        name: 'node-exporter-x',
        reason: 'daemonset',
        why: expect.stringContaining('DaemonSet node-exporter'),
      }),
    ]);
    expect(report?.summary).toBe(
      'node n1 drained: 2 pod(s) evicted, 2 skipped (kube-system/kube-proxy-n1: mirror, monitoring/node-exporter-x: daemonset)'
    );
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(true);
    expect(h.kube.get('Pod', 'web-c', 'shop')).toBeDefined();
    expect(saved).toEqual([
      { cordonedByDrain: true, evicted: [] },
      { cordonedByDrain: true, evicted: [{ namespace: 'shop', name: 'web-a', uid: uids.a }] },
      {
        cordonedByDrain: true,
        evicted: [
          { namespace: 'shop', name: 'web-a', uid: uids.a },
          { namespace: 'shop', name: 'web-b', uid: uids.b },
        ],
      },
    ]);
  });

  it('after each eviction waits until the pod is gone before the next', async () => {
    h.kube.add(web('web-a'), web('web-b'));
    h.kube.setPodTerminationReads(2);
    const outcome = await drain(h.client, { node: 'n1', pollIntervalMs: 500 });
    expect(outcome.ok).toBe(true);
    const trail = h.kube.requests
      .filter((r) => r.path.includes('/pods/web-'))
      .map((r) => `${r.method} ${r.path.split('/')[6]}`);
    expect(trail).toEqual([
      'POST web-a',
      'GET web-a',
      'GET web-a',
      'GET web-a',
      'POST web-b',
      'GET web-b',
      'GET web-b',
      'GET web-b',
    ]);
    expect(h.clock.sleeps).toEqual([500, 500, 500, 500]);
  });

  it('backs off on a PodDisruptionBudget 429 and succeeds once a replacement is ready', async () => {
    addWebsBehindBudget();
    // The ReplicaSet's replacement for web-1 comes up elsewhere while we wait.
    h.clock.onSleep = () => h.kube.add(web('web-4', 'n2'));

    const outcome = await drain(h.client, { node: 'n1' });

    expect(outcome.ok).toBe(true);
    expect(evictedNames()).toEqual(['web-1', 'web-2', 'web-2']);
    expect(h.clock.sleeps).toEqual([1000]);
    expect(
      h.kube
        .list('Pod')
        .map((p) => p.metadata.name)
        .sort()
    ).toEqual(['web-3', 'web-4']);
  });

  it('gives up at the deadline, names the pods left and why, and uncordons the node it cordoned', async () => {
    addWebsBehindBudget();
    let saved: DrainProgress | undefined;

    const outcome = await drain(h.client, { node: 'n1', timeoutSeconds: 10, onProgress: (p) => void (saved = p) });

    expect(outcome.ok).toBe(false);
    if (outcome.ok) {
      return;
    }
    expect(outcome.error.kind).toBe('deadline-exceeded');
    expect(outcome.error.message).toBe(
      'drain of node n1 did not finish within 10s; pods left: shop/web-2 (blocked by a PodDisruptionBudget: ' +
        'The disruption budget web needs 2 healthy pods and has 2 currently); node n1 uncordoned'
    );
    expect(outcome.report.left).toEqual([
      expect.objectContaining({ namespace: 'shop', name: 'web-2', uid: uidOf('web-2') }),
    ]);
    expect(outcome.report.evicted.map((p) => p.name)).toEqual(['web-1']);
    expect(outcome.report.uncordoned).toBe(true);
    expect(h.clock.sleeps).toEqual([1000, 2000, 4000]);
    expect(nodePatches().map((r) => r.body)).toEqual([
      { metadata: { resourceVersion: expect.any(String) }, spec: { unschedulable: true } },
      { metadata: { resourceVersion: expect.any(String) }, spec: { unschedulable: false } },
    ]);
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(false);
    expect(saved?.evicted.map((p) => p.name)).toEqual(['web-1']);
  });

  it('leaves the node cordoned on failure when told to, or when it was cordoned before', async () => {
    h.kube.add(web('web-1'));
    h.kube.inject({ method: 'POST', path: /\/eviction$/, status: 500 });
    const kept = await drain(h.client, { node: 'n1', uncordonOnFailure: false });
    expect(!kept.ok && kept.report.uncordoned).toBe(false);
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(true);

    const again = await drain(h.client, { node: 'n1' });
    expect(!again.ok && again.error.kind).toBe('server-error');
    expect(!again.ok && again.report.cordonedByDrain).toBe(false);
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(true);
  });

  it('resumed after a crash, never evicts a pod twice and uncordons only what it cordoned', async () => {
    h.kube.add(web('web-a'), web('web-b'), web('web-c'));
    h.kube.setPodTerminationReads(5);
    let persisted: DrainProgress | undefined;
    // The backend dies right after persisting the first eviction.
    const crashed = drain(h.client, {
      node: 'n1',
      onProgress: (p) => {
        persisted = p;
        if (p.evicted.length === 1) {
          throw new Error('backend killed');
        }
      },
    });
    await expect(crashed).rejects.toThrow('backend killed');
    expect(evictedNames()).toEqual(['web-a']);

    h.kube.setPodTerminationReads(1);
    const resumed = await drain(h.client, { node: 'n1', resume: persisted, onProgress: (p) => void (persisted = p) });

    expect(resumed.ok).toBe(true);
    expect(evictedNames()).toEqual(['web-a', 'web-b', 'web-c']);
    expect(resumed.ok && resumed.value.evicted.map((p) => p.name)).toEqual(['web-a', 'web-b', 'web-c']);
    expect(resumed.ok && resumed.value.cordonedByDrain).toBe(true);
    expect(persisted?.evicted).toHaveLength(3);
    // web-a was still terminating when the resumed drain listed it: it was waited for, not evicted.
    expect(h.kube.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/web-a')).length).toBeGreaterThan(0);
  });

  it('paused before an eviction keeps the node cordoned and its progress; resumed, it evicts only the rest', async () => {
    h.kube.add(web('web-a'), web('web-b'), web('web-c'));
    let persisted: DrainProgress | undefined;
    let evictions = 0;
    const paused = await drain(h.client, {
      node: 'n1',
      onProgress: (p) => {
        persisted = p;
        evictions = p.evicted.length;
      },
      shouldPause: () => (evictions >= 1 ? 'the window closed at 18:00' : undefined),
    });

    expect(!paused.ok && paused.error).toMatchObject({
      kind: 'paused',
      message: 'drain of node n1 paused before evicting shop/web-b: the window closed at 18:00',
    });
    expect(!paused.ok && paused.report).toMatchObject({
      uncordoned: false,
      cordonedByDrain: true,
      evicted: [expect.objectContaining({ name: 'web-a' })],
      left: [expect.objectContaining({ name: 'web-b' }), expect.objectContaining({ name: 'web-c' })],
    });
    expect(h.kube.get('Node', 'n1')?.spec?.unschedulable).toBe(true);
    expect(evictedNames()).toEqual(['web-a']);

    const resumed = await drain(h.client, { node: 'n1', resume: persisted, onProgress: (p) => void (persisted = p) });
    expect(resumed.ok && resumed.value.evicted.map((p) => p.name)).toEqual(['web-a', 'web-b', 'web-c']);
    expect(evictedNames()).toEqual(['web-a', 'web-b', 'web-c']);
    expect(resumed.ok && resumed.value.cordonedByDrain).toBe(true);
  });

  it('does not evict a pod that is already being deleted, only waits for it', async () => {
    const terminating = web('web-a');
    terminating.metadata.deletionTimestamp = '2025-06-01T11:59:00Z';
    h.kube.add(terminating, web('web-b'));
    h.kube.setPodTerminationReads(0);
    h.kube.inject({ method: 'GET', path: '/api/v1/namespaces/shop/pods/web-a', status: 404 });
    const outcome = await drain(h.client, { node: 'n1' });
    expect(outcome.ok).toBe(true);
    expect(evictedNames()).toEqual(['web-b']);
  });

  it('refuses pods no controller would recreate, before cordoning, unless told to evict them', async () => {
    h.kube.add(web('web-a'), pod({ namespace: 'shop', name: 'debug', nodeName: 'n1' }));
    const refused = await drain(h.client, { node: 'n1' });
    expect(!refused.ok && refused.error).toMatchObject({
      kind: 'unsafe',
      message:
        'node n1 runs pods no controller would recreate (shop/debug); drain them with evictUnmanaged to lose them',
    });
    expect(evictions()).toHaveLength(0);
    expect(nodePatches()).toEqual([]);

    const forced = await drain(h.client, { node: 'n1', evictUnmanaged: true });
    expect(forced.ok && forced.value.evicted.map((p) => p.name)).toEqual(['debug', 'web-a']);
  });

  it('a pod replaced under the same name (uid precondition 409) or gone (404) is not a failure', async () => {
    h.kube.add(web('web-a'), web('web-b'));
    // Meanwhile, just before each eviction: web-a is deleted, web-b recreated under its name on n2.
    h.kube.inject({
      method: 'POST',
      path: '/api/v1/namespaces/shop/pods/web-a/eviction',
      times: 1,
      sideEffect: () => h.kube.remove('Pod', 'web-a', 'shop'),
    });
    h.kube.inject({
      method: 'POST',
      path: '/api/v1/namespaces/shop/pods/web-b/eviction',
      times: 1,
      sideEffect: () => h.kube.replacePod('web-b', 'shop', 'n2'),
    });
    const outcome = await drain(h.client, { node: 'n1' });
    expect(evictions().map((r) => r.status)).toEqual([404, 409]);
    expect(outcome.ok && outcome.value.evicted).toEqual([]);
    expect(h.kube.get('Pod', 'web-b', 'shop')?.spec?.nodeName).toBe('n2');
  });

  it("a 409 from the budget's own update leaves the pod running: it is evicted again, not counted gone", async () => {
    h.kube.add(web('web-1'), web('web-3', 'n2'), webBudget(1));
    h.kube.conflictBudgetUpdates('web', 'shop');
    const outcome = await drain(h.client, { node: 'n1' });
    expect(evictions().map((r) => r.status)).toEqual([409, 201]);
    expect(outcome.ok && outcome.value.summary).toBe('node n1 drained: 1 pod(s) evicted, 0 skipped');
    expect(h.kube.get('Pod', 'web-1', 'shop')).toBeUndefined();
    expect(h.clock.sleeps).toEqual([1000]);
  });

  it("a pod its StatefulSet recreated on another node is gone: the replacement's budget does not hold the drain", async () => {
    h.kube.add(
      pod({ namespace: 'db', name: 'pg-0', nodeName: 'n1', labels: { app: 'pg' }, ownerKind: 'StatefulSet' }),
      podDisruptionBudget({ namespace: 'db', name: 'pg', matchLabels: { app: 'pg' }, minAvailable: 1 })
    );
    // While the drain backs off from the budget's 429, pg-0 is deleted and recreated on n2.
    h.clock.onSleep = () => {
      h.clock.onSleep = undefined;
      h.kube.replacePod('pg-0', 'db', 'n2');
    };
    const outcome = await drain(h.client, { node: 'n1', timeoutSeconds: 20 });
    expect(outcome.ok && outcome.value.summary).toBe('node n1 drained: 0 pod(s) evicted, 0 skipped');
    expect(evictions().map((r) => r.status)).toEqual([429]);
    expect(h.kube.get('Pod', 'pg-0', 'db')?.spec?.nodeName).toBe('n2');
  });

  it('an RBAC refusal of pods/eviction fails the drain in words an operator can act on', async () => {
    h.kube.add(web('web-a'));
    h.kube.inject({ method: 'POST', path: /\/eviction$/, status: 403 });
    const outcome = await drain(h.client, { node: 'n1' });
    expect(!outcome.ok && outcome.error.message).toBe(
      'Kubernetes refused: the service account system:serviceaccount:failureprophet:failureprophet cannot create pods/eviction in namespace shop; grant it in deploy/rbac.yaml; node n1 uncordoned'
    );
  });

  it("a budget that forbids an eviction outright (403) fails the drain in the server's words, not as RBAC", async () => {
    h.kube.add(web('web-a'));
    h.kube.inject({
      method: 'POST',
      path: /\/eviction$/,
      status: 403,
      body: pdbForbidden('web', 'pdb disruptions allowed is negative'),
    });
    const outcome = await drain(h.client, { node: 'n1' });
    expect(!outcome.ok && outcome.error).not.toHaveProperty('forbidden');
    expect(!outcome.ok && outcome.error).toEqual(
      expect.objectContaining({
        kind: 'forbidden',
        message:
          'Kubernetes refused create pods/eviction shop/web-a: poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative; node n1 uncordoned',
      })
    );
  });

  it('dry run sends every write with dryRun=All, changes nothing, and lists what would be evicted or blocked', async () => {
    h.kube.add(
      web('web-1'),
      web('web-2'),
      nodeExporter,
      pod({ namespace: 'monitoring', name: 'node-exporter-x', nodeName: 'n1', owner: nodeExporter }),
      webBudget(1)
    );
    const before = JSON.stringify([h.kube.list('Pod'), h.kube.list('Node')]);

    const outcome = await drain(h.client, { node: 'n1', dryRun: true });

    expect(h.kube.writes().length).toBeGreaterThan(0);
    expect(h.kube.writes().every((r) => r.dryRun)).toBe(true);
    expect(JSON.stringify([h.kube.list('Pod'), h.kube.list('Node')])).toBe(before);
    expect(outcome.ok && outcome.value).toMatchObject({
      dryRun: true,
      evicted: [expect.objectContaining({ name: 'web-1' }), expect.objectContaining({ name: 'web-2' })],
      skipped: [expect.objectContaining({ name: 'node-exporter-x', reason: 'daemonset' })],
      left: [],
      summary: 'drain of node n1 would evict 2 pod(s) (shop/web-1, shop/web-2), skip 1',
    });
    expect(h.clock.sleeps).toEqual([]);
  });

  it('leaves the pods of namespaces it may not evict where they are, and says why', async () => {
    h.kube.add(
      web('web-1'),
      pod({ namespace: 'kube-system', name: 'coredns-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'kube-system', name: 'debug', nodeName: 'n1' })
    );
    const mayEvict = (namespace: string) =>
      namespace === 'kube-system' ? { why: 'kube-system is denied' } : undefined;
    const dry = await drain(h.client, { node: 'n1', dryRun: true, mayEvict });
    expect(dry.ok && dry.value).toMatchObject({
      evicted: [expect.objectContaining({ name: 'web-1' })],
      skipped: [
        { namespace: 'kube-system', name: 'coredns-1', reason: 'namespace', why: 'kube-system is denied' },
        { namespace: 'kube-system', name: 'debug', reason: 'namespace', why: 'kube-system is denied' },
      ],
      summary:
        'drain of node n1 would evict 1 pod(s) (shop/web-1), skip 2 (left in place by the namespace limits: kube-system/coredns-1, kube-system/debug)',
    });
    const real = await drain(h.client, { node: 'n1', mayEvict });
    expect(real.ok).toBe(true);
    expect(evictedNames()).toEqual(['web-1', 'web-1']);
    expect(h.kube.get('Pod', 'coredns-1', 'kube-system')).toBeDefined();
    expect(h.kube.get('Pod', 'debug', 'kube-system')).toBeDefined();
  });

  it('dry run: a pod gone since the list (404) or replaced under its name (uid 409) is not an error', async () => {
    h.kube.add(web('web-1'), web('web-2'), pod({ namespace: 'shop', name: 'job-1', nodeName: 'n1', ownerKind: 'Job' }));
    // Before their dry-run evictions, web-2 is recreated on n2 and the Job's pod garbage-collected.
    h.kube.inject({
      method: 'POST',
      path: /web-2\/eviction$/,
      times: 1,
      sideEffect: () => h.kube.replacePod('web-2', 'shop', 'n2'),
    });
    h.kube.inject({
      method: 'POST',
      path: /job-1\/eviction$/,
      times: 1,
      sideEffect: () => h.kube.remove('Pod', 'job-1', 'shop'),
    });
    const outcome = await drain(h.client, { node: 'n1', dryRun: true });
    // Listed by name: job-1 (gone, 404), web-1, web-2 (replaced, 409).
    expect(evictions().map((r) => r.status)).toEqual([404, 201, 409]);
    expect(outcome.ok && outcome.value).toMatchObject({
      evicted: [expect.objectContaining({ name: 'web-1' })],
      left: [],
      summary: 'drain of node n1 would evict 1 pod(s) (shop/web-1), skip 0',
    });
  });

  it('dry run reports the pods a budget blocks right now', async () => {
    h.kube.add(web('web-1'), webBudget(1));
    const outcome = await drain(h.client, { node: 'n1', dryRun: true });
    expect(outcome.ok && outcome.value.left).toEqual([
      expect.objectContaining({
        name: 'web-1',
        why: 'blocked by a PodDisruptionBudget: The disruption budget web needs 1 healthy pods and has 1 currently',
      }),
    ]);
  });
});
