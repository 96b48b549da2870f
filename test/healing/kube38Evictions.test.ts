// Evictions against what kube-apiserver really answers (pkg/registry/core/pod/storage/eviction.go),
// through the real client and drain: the test double answers as the real server does.

import { drain } from '../../src/server/kubernetes/drain';
import { Harness, startHarness } from '../kube/harness';
import { node, pod, podDisruptionBudget } from '../kube/objects';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.kube.add(node('n1'), node('n2'));
});
afterEach(() => h.kube.close());

const web = (name: string, nodeName = 'n1') =>
  pod({ namespace: 'shop', name, nodeName, labels: { app: 'web', tier: 'front' }, ownerKind: 'ReplicaSet' });

/** Two budgets over the same pods, each with disruptions to spare. */
const overlappingBudgets = () =>
  h.kube.add(
    web('web-1'),
    web('web-2', 'n2'),
    web('web-3', 'n2'),
    podDisruptionBudget({ namespace: 'shop', name: 'web', matchLabels: { app: 'web' }, minAvailable: 1 }),
    podDisruptionBudget({ namespace: 'shop', name: 'front', matchLabels: { tier: 'front' }, minAvailable: 1 })
  );

const MULTIPLE = 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';

describe('an eviction the API server answers 201 with a Failure Status', () => {
  it('a pod two budgets select is not evicted: the drain fails saying why, and gives the node back', async () => {
    overlappingBudgets();

    const outcome = await drain(h.client, { node: 'n1', timeoutSeconds: 60 });

    const eviction = h.kube.requests.find((r) => r.path.endsWith('/web-1/eviction'));
    expect(eviction?.status).toBe(201);
    expect(h.kube.get('Pod', 'web-1', 'shop')).toBeDefined();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) {
      return;
    }
    expect(outcome.error).toMatchObject({ kind: 'server-error', status: 500 });
    expect(outcome.error.message).toContain(MULTIPLE);
    expect(outcome.report.evicted).toEqual([]);
    expect(outcome.report.uncordoned).toBe(true);
    expect(h.kube.get('Node', 'n1')!.spec?.unschedulable).not.toBe(true);
    // It failed on the answer, not after waiting out its deadline for a pod that was never evicted.
    expect(h.clock.sleeps).toEqual([]);
  });

  it('the dry run reports it as a failure, not as a pod it would evict', async () => {
    overlappingBudgets();

    const outcome = await drain(h.client, { node: 'n1', dryRun: true });

    expect(outcome.ok).toBe(false);
    if (outcome.ok) {
      return;
    }
    expect(outcome.error.message).toContain(MULTIPLE);
    expect(outcome.report.evicted).toEqual([]);
    expect(h.kube.realWrites()).toEqual([]);
  });
});

describe('finished pods on the node', () => {
  it('a bare pod that finished does not refuse the drain: it is evicted as kubectl drain removes it', async () => {
    h.kube.add(
      web('web-1'),
      pod({ namespace: 'batch', name: 'report-once', nodeName: 'n1', phase: 'Succeeded', ready: false }),
      pod({ namespace: 'batch', name: 'crashed-once', nodeName: 'n1', phase: 'Failed', ready: false }),
      pod({ namespace: 'batch', name: 'still-running', nodeName: 'n2' })
    );

    const outcome = await drain(h.client, { node: 'n1' });

    expect(outcome.ok && outcome.value.evicted.map((p) => p.name).sort()).toEqual([
      'crashed-once',
      'report-once',
      'web-1',
    ]);
    expect(h.kube.list('Pod').map((p) => p.metadata.name)).toEqual(['still-running']);
  });

  it('a bare pod still running does refuse it, as before', async () => {
    h.kube.add(pod({ namespace: 'batch', name: 'by-hand', nodeName: 'n1' }));

    const outcome = await drain(h.client, { node: 'n1' });

    expect(outcome.ok).toBe(false);
    if (outcome.ok) {
      return;
    }
    expect(outcome.error.kind).toBe('unsafe');
    expect(outcome.report.left.map((p) => p.name)).toEqual(['by-hand']);
  });
});

describe('a pod in a namespace being deleted', () => {
  it('is waited for while the namespace controller deletes it, as kubectl drain does, not a failed drain', async () => {
    h.kube.add(web('web-1'), pod({ namespace: 'old', name: 'leftover', nodeName: 'n1', ownerKind: 'ReplicaSet' }));
    h.kube.terminateNamespace('old');
    // The namespace controller gets to the pod a few seconds later.
    h.clock.onSleep = (slept) => {
      if (slept >= 2000) {
        h.kube.remove('Pod', 'leftover', 'old');
      }
    };

    const outcome = await drain(h.client, { node: 'n1', backoff: { initialMs: 1000, maxMs: 1000 } });

    const refused = h.kube.requests.find((r) => r.path.endsWith('/leftover/eviction'));
    expect(refused?.status).toBe(403);
    expect(outcome.ok && outcome.value.evicted.map((p) => p.name)).toEqual(['web-1']);
    expect(h.kube.get('Node', 'n1')!.spec?.unschedulable).toBe(true);
  });
});
