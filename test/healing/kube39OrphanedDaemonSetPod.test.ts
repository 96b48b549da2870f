// A drain policy on a node running a pod whose DaemonSet is gone: its dry run refuses, naming the pod
// and its DaemonSet, and the node is never touched; with evictUnmanaged (kubectl drain --force) the
// orphan is evicted. Both stores, on the Kubernetes API test server.

import type { PolicyInput } from '../../src/contract/healing';
import { daemonSet, node, pod } from '../kube/objects';
import { drainSuite, endRun, type DrainRun } from './drainSetup';
import { isCordoned, nodePatches } from './setup';

const T = Date.parse('2025-06-02T10:00:00Z');
const suite = drainSuite(T, 'kube39orphan');

let r: DrainRun | undefined;
afterEach(async () => {
  await endRun(r);
  r = undefined;
});

async function drainWith(kind: string, action: PolicyInput['action']) {
  // The DaemonSet was deleted; the garbage collector has not removed its pod yet.
  const gone = daemonSet({ namespace: 'monitoring', name: 'agent' });
  const proposed = await suite.proposed(
    kind,
    action,
    node('n1'),
    pod({ namespace: 'monitoring', name: 'agent-n1', nodeName: 'n1', owner: gone })
  );
  r = proposed.run;
  return proposed.action;
}

describe.each(suite.kinds)('a drain policy on a node running a pod whose DaemonSet is gone, on %s', (kind) => {
  it('without evictUnmanaged, its dry run refuses, naming the pod and its DaemonSet, and the node is never touched', async () => {
    const action = await drainWith(kind, { type: 'drain' });

    const refusal =
      'node n1 runs pods of DaemonSets that are gone (monitoring/agent-n1 of DaemonSet agent); drain them with evictUnmanaged to lose them';
    expect(action).toMatchObject({
      state: 'blocked',
      dryRun: { ok: false, summary: `the dry run failed: ${refusal}` },
      reason: { kind: 'kubernetes', errorKind: 'unsafe', message: refusal },
    });
    expect(nodePatches(r!.h, 'n1')).toEqual([]);
    expect(r!.h.kube.get('Pod', 'agent-n1', 'monitoring')).toBeDefined();
  });

  it('with evictUnmanaged, the drain evicts the orphan', async () => {
    const action = await drainWith(kind, { type: 'drain', evictUnmanaged: true });

    expect(action.state).toBe('succeeded');
    expect(isCordoned(r!.h, 'n1')).toBe(true);
    expect(r!.h.kube.get('Pod', 'agent-n1', 'monitoring')).toBeUndefined();
  });
});
