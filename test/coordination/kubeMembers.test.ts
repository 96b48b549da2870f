import { KubeMembership, MEMBER_LABEL } from '../../src/server/coordination/kubeMembers';
import { runMembership } from '../../src/server/coordination/members';
import { kubeClientFromOptions } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { type Harness, skewed, startHarness, TOKEN } from '../kube/harness';

// Replicas announcing themselves with one Lease each on the Kubernetes test server, which lists by
// label selector, refuses a Lease update without or with a stale resourceVersion, and answers a
// delete of a missing Lease with 404 as the API server does. Time moves only with the shared clock.
const NAMESPACE = 'failureprophet';
const PREFIX = 'failureprophet';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.kube.close());

/** `skewMs`: how far this member's node clock runs ahead. */
function member(identity: string, leaseDurationSeconds = 15, skewMs = 0) {
  const client = kubeClientFromOptions(
    kubernetesOptionsSchema.parse({ mode: 'endpoint', url: h.kube.url, token: TOKEN, requestTimeoutMs: 2000 }),
    skewed(h.clock, skewMs)
  );
  return new KubeMembership({ client, namespace: NAMESPACE, prefix: PREFIX, identity, leaseDurationSeconds });
}

const leaseOf = (identity: string) => h.kube.get('Lease', `${PREFIX}-member-${identity}`, NAMESPACE);

describe('Kubernetes membership (one Lease per replica)', () => {
  it('has each replica create its labelled Lease and list the others by the label only', async () => {
    // The leader's Lease lives in the same namespace and carries no member label: not a member.
    h.kube.add({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'failureprophet-leader',
        namespace: NAMESPACE,
        uid: 'uid-leader',
        creationTimestamp: '2025-01-01T00:00:00Z',
      },
      spec: { holderIdentity: 'pod-z', leaseDurationSeconds: 15, renewTime: '2025-06-01T12:00:00.000000Z' },
    });
    const [a, b] = [member('pod-a'), member('pod-b')];
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a']);
    await b.heartbeat();
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a', 'pod-b']);
    expect(b.live()).toEqual(['pod-a', 'pod-b']);
    expect(leaseOf('pod-a')).toMatchObject({
      metadata: { labels: { [MEMBER_LABEL]: PREFIX } },
      spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, renewTime: '2025-06-01T12:00:00.000000Z' },
    });
    const lists = h.kube.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/leases'));
    expect(lists.every((r) => r.query.labelSelector === `${MEMBER_LABEL}=${PREFIX}`)).toBe(true);
    expect(a.lastError()).toBeUndefined();
  });

  it('renews with the resourceVersion it holds, and keeps the same live array while nothing changes', async () => {
    const a = member('pod-a');
    await a.heartbeat();
    const first = a.live();
    const rv = leaseOf('pod-a')!.metadata.resourceVersion;
    h.clock.advance(5_000);
    await a.heartbeat();
    const put = h.kube.requests.filter((r) => r.method === 'PUT').at(-1)!;
    expect((put.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(rv);
    expect(leaseOf('pod-a')!.spec!.renewTime).toBe('2025-06-01T12:00:05.000000Z');
    expect(a.live()).toBe(first);
  });

  it('drops a member a lease duration after its last renewal was read', async () => {
    const [a, b] = [member('pod-a'), member('pod-b')];
    await Promise.all([a.heartbeat(), b.heartbeat()]);
    await a.heartbeat();
    h.clock.advance(14_999);
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a', 'pod-b']);
    h.clock.advance(1);
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a']);
    // The silent one counts itself out too, by its own clock: it must not watch what the others took.
    expect(b.live()).toEqual([]);
  });

  it("keeps counting a member that renews, whatever the nodes' clocks say, and never deletes its Lease", async () => {
    // pod-b's node runs 200 s ahead: by renewTime, pod-a looked gone, and gone long enough to delete.
    const [a, b] = [member('pod-a'), member('pod-b', 15, 200_000)];
    for (let round = 0; round < 6; round++) {
      await a.heartbeat();
      await b.heartbeat();
      expect(b.live()).toEqual(['pod-a', 'pod-b']);
      h.clock.advance(5_000);
    }
    expect(h.kube.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(leaseOf('pod-a')).toBeDefined();
  });

  it('counts itself out when it cannot renew for a whole lease, and says why', async () => {
    const a = member('pod-a');
    await a.heartbeat();
    h.kube.inject({ method: 'PUT', path: /leases/, status: 503 });
    h.clock.advance(10_000);
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a']);
    expect(a.lastError()).toMatch(/^The Kubernetes API server failed \(503\) on update leases/);
    h.clock.advance(5_000);
    expect(a.live()).toEqual([]);
  });

  it('takes over the Lease an earlier run of the same pod left, and renews after its Lease changed under it', async () => {
    const old = member('pod-a');
    await old.heartbeat();
    const a = member('pod-a');
    h.clock.advance(1_000);
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a']);
    expect(h.kube.requests.filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([201]);
    // The stale run writes with its old resourceVersion: 409, then reads the Lease again and renews.
    h.clock.advance(1_000);
    await old.heartbeat();
    expect(h.kube.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([200, 409, 200]);
    expect(old.lastError()).toBeUndefined();
  });

  it('deletes its Lease on leave, so the others see it gone at their next round, not after expiry', async () => {
    const [a, b] = [member('pod-a'), member('pod-b')];
    const running = await runMembership(a, h.clock, 5_000);
    await b.heartbeat();
    expect(b.live()).toEqual(['pod-a', 'pod-b']);
    await running.stop();
    expect(leaseOf('pod-a')).toBeUndefined();
    expect(a.live()).toEqual([]);
    await b.heartbeat();
    expect(b.live()).toEqual(['pod-b']);
    // Stopped rounds stay stopped.
    const writes = h.kube.writes().length;
    h.clock.advance(60_000);
    expect(h.kube.writes()).toHaveLength(writes);
  });

  it('removes the Lease of a member gone for ten lease durations, unless it renewed since being read', async () => {
    const [a, gone] = [member('pod-a'), member('pod-gone')];
    await gone.heartbeat();
    await a.heartbeat();
    h.clock.advance(164_999);
    await a.heartbeat();
    expect(leaseOf('pod-gone')).toBeDefined();
    // It comes back between the list and the delete: the precondition keeps its renewed Lease (409).
    h.kube.inject({
      method: 'DELETE',
      path: /pod-gone$/,
      times: 1,
      sideEffect: () => h.kube.add(leaseOf('pod-gone')!),
    });
    h.clock.advance(1);
    await a.heartbeat();
    expect(h.kube.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([409]);
    expect(leaseOf('pod-gone')).toBeDefined();
    expect(a.lastError()).toBeUndefined();
    // Renewed as this replica reads it (a new resourceVersion): live again, gone again ten lease durations after its lease.
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a', 'pod-gone']);
    h.clock.advance(164_999);
    await a.heartbeat();
    expect(leaseOf('pod-gone')).toBeDefined();
    h.clock.advance(1);
    await a.heartbeat();
    expect(leaseOf('pod-gone')).toBeUndefined();
    expect(a.live()).toEqual(['pod-a']);
  });
});

describe("the test server's Lease deletes, as the API server answers", () => {
  const url = (name: string) => `${h.kube.url}/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${name}`;
  const del = async (name: string, body?: unknown) => {
    const response = await fetch(url(name), {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers 404 for a missing Lease, 409 on a stale resourceVersion precondition, and a Success Status', async () => {
    expect(await del('nobody')).toEqual({
      status: 404,
      body: expect.objectContaining({
        reason: 'NotFound',
        message: 'leases.coordination.k8s.io "nobody" not found',
      }),
    });
    await member('pod-a').heartbeat();
    const name = `${PREFIX}-member-pod-a`;
    expect(await del(name, { preconditions: { resourceVersion: '1' } })).toEqual({
      status: 409,
      body: expect.objectContaining({
        reason: 'Conflict',
        message: expect.stringMatching(
          /^Operation cannot be fulfilled on Lease\.coordination\.k8s\.io "failureprophet-member-pod-a": the ResourceVersion in the precondition \(1\) does not match/
        ),
      }),
    });
    const uid = leaseOf('pod-a')!.metadata.uid;
    expect(await del(name)).toEqual({
      status: 200,
      body: expect.objectContaining({
        status: 'Success',
        details: { name, group: 'coordination.k8s.io', kind: 'leases', uid },
      }),
    });
    expect((await del(name)).status).toBe(404);
  });
});
