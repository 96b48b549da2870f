// A drain policy's `deleteEmptyDirData` flows to the drain it proposes, through the stored action:
// without it the drain of a node holding emptyDir data fails before touching the node, naming the
// pods; with it the pods are evicted. Both stores, on the Kubernetes API test server.

import type { PolicyInput } from '../../src/contract/healing';
import { node, pod, type KubeObject } from '../kube/objects';
import { drainSuite, endRun, type DrainRun } from './drainSetup';
import { isCordoned, nodePatches } from './setup';

const T = Date.parse('2025-06-02T10:00:00Z');
const suite = drainSuite(T, 'emptydir');

let r: DrainRun | undefined;
afterEach(async () => {
  await endRun(r);
  r = undefined;
});

/** n1 and its one pod, a ReplicaSet's, keeping a scratch emptyDir. */
function nodeWithScratch(): KubeObject[] {
  const scratch = pod({ namespace: 'shop', name: 'cache-0', nodeName: 'n1', ownerKind: 'ReplicaSet' });
  (scratch.spec as { volumes?: unknown }).volumes = [{ name: 'scratch', emptyDir: {} }];
  return [node('n1'), scratch];
}

async function drainWith(kind: string, action: PolicyInput['action']) {
  const proposed = await suite.proposed(kind, action, ...nodeWithScratch());
  r = proposed.run;
  return proposed.action;
}

describe.each(suite.kinds)('a drain policy on a node holding emptyDir data, on %s', (kind) => {
  it('without deleteEmptyDirData, its dry run refuses, naming the pod, and the node is never touched', async () => {
    const action = await drainWith(kind, { type: 'drain' });

    expect(action.action).toEqual({ type: 'drain', node: 'n1' });
    const refusal =
      'node n1 runs pods keeping data in emptyDir volumes (shop/cache-0); drain them with deleteEmptyDirData to delete that data';
    expect(action).toMatchObject({
      state: 'blocked',
      dryRun: { ok: false, summary: `the dry run failed: ${refusal}` },
      reason: { kind: 'kubernetes', errorKind: 'unsafe', message: refusal },
    });
    expect(nodePatches(r!.h, 'n1')).toEqual([]);
    expect(r!.h.kube.get('Pod', 'cache-0', 'shop')).toBeDefined();
  });

  it('with deleteEmptyDirData, the stored action carries it and the drain evicts the pod', async () => {
    const action = await drainWith(kind, { type: 'drain', deleteEmptyDirData: true });

    expect(action.action).toEqual({ type: 'drain', node: 'n1', deleteEmptyDirData: true });
    expect(action.state).toBe('succeeded');
    expect(isCordoned(r!.h, 'n1')).toBe(true);
    expect(r!.h.kube.get('Pod', 'cache-0', 'shop')).toBeUndefined();
  });
});
