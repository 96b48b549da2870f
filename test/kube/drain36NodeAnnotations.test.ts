// Who cordoned a node, as the drain writes it: failureprophet.io/cordoned-by in the cordon's own
// strategic merge patch, deleted by the uncordon's. First the test server's PATCH of a Node's
// annotations as kube-apiserver does it (a map merged key by key, a null deleting its key, a key that
// is not a qualified name a 422); then the drain on it: its own cordon known by the annotation after a
// crash, another action's cordon left alone.

import { drain } from '../../src/server/kubernetes/drain';
import type { DrainProgress } from '../../src/server/kubernetes/drainProgress';
import { Harness, startHarness, TOKEN } from './harness';
import { node, pod } from './objects';

const CORDONED_BY = 'failureprophet.io/cordoned-by';
const SMP = 'application/strategic-merge-patch+json';
const rv = expect.any(String);

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.kube.close());

/** A node cordoned, with these annotations, running one pod a drain evicts. */
function cordonedNode(name: string, annotations: Record<string, string>) {
  const n = node(name, true);
  n.metadata.annotations = annotations;
  h.kube.add(n, pod({ namespace: 'shop', name: `${name}-web`, nodeName: name, ownerKind: 'ReplicaSet' }));
}

const patchNode = async (name: string, body: unknown) => {
  const response = await fetch(`${h.kube.url}/api/v1/nodes/${name}`, {
    method: 'PATCH',
    headers: { 'Content-Type': SMP, Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};
const annotationsOf = (name: string) => h.kube.get('Node', name)!.metadata.annotations;
const realNodePatches = (name: string) =>
  h.kube.requests.filter((q) => q.method === 'PATCH' && q.path === `/api/v1/nodes/${name}` && !q.dryRun);

describe('a Node patched as kube-apiserver patches it', () => {
  it('merges annotations key by key, deletes a key on null, and refuses a key that is not a qualified name', async () => {
    h.kube.add(node('n1'));
    const kept = { 'example.com/team': 'payments' };
    expect((await patchNode('n1', { metadata: { annotations: kept } })).status).toBe(200);

    const cordoned = await patchNode('n1', {
      metadata: { annotations: { [CORDONED_BY]: '17' } },
      spec: { unschedulable: true },
    });
    expect(cordoned.status).toBe(200);
    expect(annotationsOf('n1')).toEqual({ ...kept, [CORDONED_BY]: '17' });

    const uncordoned = await patchNode('n1', {
      metadata: { annotations: { [CORDONED_BY]: null } },
      spec: { unschedulable: false },
    });
    expect(uncordoned.status).toBe(200);
    expect(annotationsOf('n1')).toEqual(kept);
    // A null for a key that is not there is dropped (IgnoreUnmatchedNulls), not an error.
    expect((await patchNode('n1', { metadata: { annotations: { [CORDONED_BY]: null } } })).status).toBe(200);
    expect(annotationsOf('n1')).toEqual(kept);

    const refused = await patchNode('n1', { metadata: { annotations: { 'cordoned by': '17' } } });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      `Node "n1" is invalid: metadata.annotations: Invalid value: "cordoned by": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`
    );
    expect(annotationsOf('n1')).toEqual(kept);
  });
});

describe('a drain and the node it cordoned', () => {
  it('knows a cordon naming it as its own, and leaves another action’s cordon as it is', async () => {
    // n1 was cordoned by action 99; n2 by this drain (action 7), whose process stopped before saving so.
    cordonedNode('n1', { [CORDONED_BY]: '99' });
    cordonedNode('n2', { [CORDONED_BY]: '7', 'example.com/team': 'payments' });
    h.kube.inject({ method: 'POST', path: /\/eviction$/, match: (q) => !q.dryRun, status: 403 });

    const other = await drain(h.client, { node: 'n1', owner: '7' });
    expect(other).toMatchObject({ ok: false, report: { cordonedByDrain: false, uncordoned: false } });
    expect(h.kube.get('Node', 'n1')!.spec!.unschedulable).toBe(true);
    expect(annotationsOf('n1')).toEqual({ [CORDONED_BY]: '99' });
    expect(realNodePatches('n1')).toEqual([]);

    const saved: DrainProgress[] = [];
    const own = await drain(h.client, { node: 'n2', owner: '7', onProgress: (p) => void saved.push(p) });
    expect(own).toMatchObject({ ok: false, report: { cordonedByDrain: true, uncordoned: true } });
    // Saved before its first eviction, so a further crash still knows it.
    expect(saved[0]).toEqual({ cordonedByDrain: true, evicted: [] });
    expect(h.kube.get('Node', 'n2')!.spec!.unschedulable).toBe(false);
    expect(annotationsOf('n2')).toEqual({ 'example.com/team': 'payments' });
    expect(realNodePatches('n2').map((q) => q.body)).toEqual([
      {
        metadata: { resourceVersion: expect.any(String), annotations: { [CORDONED_BY]: null } },
        spec: { unschedulable: false },
      },
    ]);
  });

  it('names itself on the node in the PATCH that cordons it, and removes its name with the uncordon', async () => {
    h.kube.add(node('n3'), pod({ namespace: 'shop', name: 'n3-web', nodeName: 'n3', ownerKind: 'ReplicaSet' }));
    h.kube.inject({ method: 'POST', path: /\/eviction$/, match: (q) => !q.dryRun, status: 403 });

    const outcome = await drain(h.client, { node: 'n3', owner: '12' });

    expect(outcome).toMatchObject({ ok: false, report: { cordonedByDrain: true, uncordoned: true } });
    expect(realNodePatches('n3').map((q) => [q.contentType, q.body, q.status])).toEqual([
      [
        SMP,
        { metadata: { resourceVersion: rv, annotations: { [CORDONED_BY]: '12' } }, spec: { unschedulable: true } },
        200,
      ],
      [
        SMP,
        { metadata: { resourceVersion: rv, annotations: { [CORDONED_BY]: null } }, spec: { unschedulable: false } },
        200,
      ],
    ]);
    expect(annotationsOf('n3') ?? {}).toEqual({});
  });
});
