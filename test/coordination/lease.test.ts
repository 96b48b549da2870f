import { LEASE_NAME, LeaseElector } from '../../src/server/coordination/lease';
import { kubeClientFromOptions } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { type Harness, skewed, startHarness, TOKEN } from '../kube/harness';
import type { KubeObject } from '../kube/objects';
import { admissionDenied, forbidden } from '../kube/status';

// Two replicas' electors against the Kubernetes test server, which serves Leases as the API server
// does (409 AlreadyExists, 409 Conflict on a stale resourceVersion, MicroTime text): time moves
// only when a test moves the shared clock.
const NAMESPACE = 'failureprophet';
const NAME = LEASE_NAME;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.kube.close());

/** A 15 s lease and a 10 s renew deadline, client-go's defaults; `skewMs`: how far this node's clock runs ahead. */
function elector(identity: string, requestTimeoutMs = 2000, skewMs = 0) {
  const client = kubeClientFromOptions(
    kubernetesOptionsSchema.parse({ mode: 'endpoint', url: h.kube.url, token: TOKEN, requestTimeoutMs }),
    skewed(h.clock, skewMs)
  );
  return new LeaseElector({
    client,
    namespace: NAMESPACE,
    name: NAME,
    identity,
    leaseDurationSeconds: 15,
    renewDeadlineMs: 10_000,
  });
}

/** Resolves once the test server holds a request open (sent, not answered). */
async function held(count: number): Promise<void> {
  while (h.kube.requests.length < count || h.kube.requests.at(-1)!.status !== undefined) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const stored = () => h.kube.get('Lease', NAME, NAMESPACE)!;

function heldBy(holder: string, renewTime: string, leaseDurationSeconds = 15): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: NAME, namespace: NAMESPACE, uid: `uid-${holder}`, creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: { holderIdentity: holder, leaseDurationSeconds, renewTime, acquireTime: renewTime, leaseTransitions: 3 },
  };
}

describe('Lease elector', () => {
  it('makes one of two replicas leader: the one that created the Lease, in MicroTime', async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    expect(await a.campaign()).toBe(true);
    expect(await b.campaign()).toBe(false);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(b.lastError()).toBe('pod-a holds Lease failureprophet/failureprophet-leader until 2025-06-01T12:00:15.000Z');
    const spec = stored().spec!;
    expect(spec).toMatchObject({ holderIdentity: 'pod-a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(spec.renewTime).toMatch(MICRO_TIME);
    expect(spec.renewTime).toBe('2025-06-01T12:00:00.000000Z');
  });

  it('renews with the resourceVersion it read, and keeps the lease while it renews', async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    await a.campaign();
    const first = stored().metadata.resourceVersion;
    h.clock.advance(10_000);
    expect(await a.campaign()).toBe(true);
    const put = h.kube.requests.filter((r) => r.method === 'PUT').at(-1)!;
    expect((put.body as KubeObject).metadata.resourceVersion).toBe(first);
    expect(stored().spec).toMatchObject({
      renewTime: '2025-06-01T12:00:10.000000Z',
      acquireTime: '2025-06-01T12:00:00.000000Z',
    });
    h.clock.advance(9_999);
    // Almost 20 s after it was taken, but renewed within the renew deadline: still held, still leading.
    expect(await b.campaign()).toBe(false);
    expect(a.isLeader()).toBe(true);
  });

  it('lets the other replica take over only once the leader has stopped renewing for the lease duration', async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    await a.campaign();
    expect(await b.campaign()).toBe(false);
    h.clock.advance(14_999);
    expect(await b.campaign()).toBe(false);
    // The silent leader stopped acting at its renew deadline, by its own clock, before anyone may take over.
    expect(a.isLeader()).toBe(false);
    h.clock.advance(1);
    expect(await b.campaign()).toBe(true);
    expect(stored().spec).toMatchObject({
      holderIdentity: 'pod-b',
      leaseTransitions: 1,
      acquireTime: '2025-06-01T12:00:15.000000Z',
    });
    expect(await a.campaign()).toBe(false);
    expect([a.isLeader(), b.isLeader()]).toEqual([false, true]);
  });

  it('stops acting at the renew deadline while its renewal hangs, 5 s before its lease can expire', async () => {
    // A request timeout longer than the lease's remainder: the renewal at 5 s is still in flight at 15 s.
    const [a, b] = [elector('pod-a', 30_000), elector('pod-b')];
    expect(await a.campaign()).toBe(true);
    expect(await b.campaign()).toBe(false);
    h.clock.advance(5_000);
    h.kube.inject({ method: 'GET', path: /leases/, hold: true, times: 1 });
    const before = h.kube.requests.length;
    const renewal = a.campaign();
    await held(before + 1);
    h.clock.advance(4_999);
    expect(a.isLeader()).toBe(true);
    h.clock.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(a.lastError()).toBeUndefined();
    h.clock.advance(4_999);
    expect(await b.campaign()).toBe(false);
    h.clock.advance(1);
    // From here another replica may lead: the old leader has not acted for 5 s.
    expect(await b.campaign()).toBe(true);
    h.kube.release();
    expect(await renewal).toBe(false);
    expect([a.isLeader(), b.isLeader()]).toEqual([false, true]);
    expect(a.lastError()).toBe('pod-b holds Lease failureprophet/failureprophet-leader until 2025-06-01T12:00:30.000Z');
  });

  it('leads again on its next successful renewal after the renew deadline passed, while it still holds the Lease', async () => {
    const a = elector('pod-a');
    await a.campaign();
    h.clock.advance(12_000);
    expect(a.isLeader()).toBe(false);
    expect(await a.campaign()).toBe(true);
    expect(a.isLeader()).toBe(true);
    expect(stored().spec).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 0 });
  });

  it('says its lead began anew after a lapse, though nobody asked whether it led during the lapse', async () => {
    const a = elector('pod-a');
    const start = h.clock.now();
    await a.campaign();
    h.clock.advance(5_000);
    await a.campaign();
    // Renewed in time: the same lead.
    expect(a.leadingSince()).toBe(start);
    h.clock.advance(12_000);
    await a.campaign();
    expect(a.leadingSince()).toBe(start + 17_000);
    h.clock.advance(11_000);
    expect(a.leadingSince()).toBeUndefined();
  });

  it('hands over at once on release (SIGTERM): the next candidate does not wait for expiry', async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    await a.campaign();
    expect(await b.campaign()).toBe(false);
    const releasing = a.release();
    // No longer leading from the moment the release is on its way, not once it was answered.
    expect(a.isLeader()).toBe(false);
    await releasing;
    expect(a.isLeader()).toBe(false);
    expect(stored().spec!.holderIdentity).toBeUndefined();
    expect(await b.campaign()).toBe(true);
    expect(stored().spec).toMatchObject({ holderIdentity: 'pod-b', leaseDurationSeconds: 15 });
    // Releasing what one does not hold writes nothing.
    const writes = h.kube.writes().length;
    await a.release();
    expect(h.kube.writes()).toHaveLength(writes);
  });

  it("never makes a second leader beside one that renews, whatever the nodes' clocks say", async () => {
    // pod-b's node runs 11 s ahead: by the holder's renewTime, pod-a's lease looked expired while it renewed.
    const [a, b] = [elector('pod-a'), elector('pod-b', 2000, 11_000)];
    expect(await a.campaign()).toBe(true);
    for (let round = 0; round < 12; round++) {
      expect(await b.campaign()).toBe(false);
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
      h.clock.advance(5_000);
      expect(await a.campaign()).toBe(true);
    }
    expect(stored().spec).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 0 });
    // Once pod-a stops renewing, pod-b takes over a lease duration after it last saw a change, by its own clock.
    expect(await b.campaign()).toBe(false);
    h.clock.advance(14_999);
    expect(await b.campaign()).toBe(false);
    h.clock.advance(1);
    expect(await b.campaign()).toBe(true);
    expect(a.isLeader()).toBe(false);
  });

  it('does not take over when someone who may update the Lease writes its renewTime into the past', async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    expect(await a.campaign()).toBe(true);
    expect(await b.campaign()).toBe(false);
    const lease = stored();
    h.kube.add({
      ...lease,
      spec: { ...lease.spec, renewTime: '2000-01-01T00:00:00.000000Z', leaseDurationSeconds: 1 },
    });
    h.clock.advance(1_000);
    // pod-a still acts (its renew deadline is 10 s): pod-b must not act beside it.
    expect(await b.campaign()).toBe(false);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(await a.campaign()).toBe(true);
    expect(stored().spec).toMatchObject({ holderIdentity: 'pod-a', leaseDurationSeconds: 15 });
  });

  it('does not take a conflicting update for leadership (409 Conflict on a stale resourceVersion)', async () => {
    h.kube.add(heldBy('pod-old', '2025-06-01T11:00:00.000000Z'));
    const a = elector('pod-a');
    // A replica that starts after the old leader stopped waits a lease duration from its first read.
    expect(await a.campaign()).toBe(false);
    expect(a.lastError()).toBe(
      'pod-old holds Lease failureprophet/failureprophet-leader until 2025-06-01T12:00:15.000Z'
    );
    h.clock.advance(15_000);
    // Between its read of the expired Lease and its write, another replica takes the Lease.
    h.kube.inject({
      method: 'PUT',
      path: `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${NAME}`,
      times: 1,
      sideEffect: () => h.kube.add(heldBy('pod-c', '2025-06-01T12:00:00.000000Z')),
    });
    expect(await a.campaign()).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(h.kube.requests.at(-1)!.status).toBe(409);
    expect(a.lastError()).toBe('another replica wrote Lease failureprophet/failureprophet-leader first (409 Conflict)');
    expect(stored().spec!.holderIdentity).toBe('pod-c');
  });

  it('does not lead when another replica created the Lease first (409 AlreadyExists)', async () => {
    const a = elector('pod-a');
    h.kube.inject({
      method: 'POST',
      path: `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`,
      times: 1,
      sideEffect: () => h.kube.add(heldBy('pod-c', '2025-06-01T12:00:00.000000Z')),
    });
    expect(await a.campaign()).toBe(false);
    expect(a.lastError()).toBe(
      'another replica wrote Lease failureprophet/failureprophet-leader first (409 AlreadyExists)'
    );
    expect(stored().spec!.holderIdentity).toBe('pod-c');
  });

  it('takes a released Lease (no holder) at once, and steps down when it cannot reach the API server', async () => {
    h.kube.add({ ...heldBy('x', '2025-06-01T12:00:00.000000Z', 1), spec: { leaseDurationSeconds: 1 } });
    const a = elector('pod-a');
    expect(await a.campaign()).toBe(true);
    h.kube.inject({ method: 'GET', path: /leases/, status: 503, times: 1 });
    expect(await a.campaign()).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(a.lastError()).toMatch(
      /^The Kubernetes API server failed \(503\) on get leases failureprophet\/failureprophet-leader/
    );
  });
});

describe('a refused round, as /readyz may word it', () => {
  const ref = { group: 'coordination.k8s.io', resource: 'leases', namespace: NAMESPACE, name: NAME };

  it('claims RBAC only for a 403 in RBAC words; another refusal is not blamed on RBAC and its words are kept', async () => {
    const a = elector('pod-a');
    h.kube.inject({
      method: 'GET',
      path: /leases/,
      status: 403,
      times: 1,
      body: forbidden(ref, 'get', 'system:serviceaccount:failureprophet:failureprophet'),
    });
    expect(await a.campaign()).toBe(false);
    expect(a.undetermined()).toBe(`RBAC forbids get on leases.coordination.k8s.io in namespace ${NAMESPACE}`);

    const denial = 'only the leader-election controller may change this Lease';
    h.kube.inject({
      method: 'GET',
      path: /leases/,
      status: 403,
      times: 1,
      body: admissionDenied(ref, 'lease-guard', 'lease-guard', denial),
    });
    expect(await a.campaign()).toBe(false);
    expect(a.undetermined()).not.toMatch(/RBAC forbids/);
    expect(a.undetermined()).toBe(
      `Kubernetes refuses get on leases.coordination.k8s.io in namespace ${NAMESPACE} (403 Forbidden, not by RBAC)`
    );
    // The server's own words stay with the replica (its last error, logged), not on the public /readyz.
    expect(a.lastError()).toContain(
      `ValidatingAdmissionPolicy 'lease-guard' with binding 'lease-guard' denied request: ${denial}`
    );
  });
});

describe("the test server's Leases, as the API server answers", () => {
  const url = () => `${h.kube.url}/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`;
  const send = async (method: string, path: string, body: unknown) => {
    const response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { reason?: string; message?: string; metadata: { resourceVersion?: string } },
    };
  };
  const lease = (renewTime: string, resourceVersion?: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: NAME, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { holderIdentity: 'p', leaseDurationSeconds: 15, renewTime },
  });

  it('refuses a MicroTime without six fractional digits, a second create, an update without or with a stale resourceVersion', async () => {
    expect(await send('POST', url(), lease('2025-06-01T12:00:00.000Z'))).toEqual({
      status: 400,
      body: expect.objectContaining({
        message:
          'Lease in version "v1" cannot be handled as a Lease: parsing time "2025-06-01T12:00:00.000Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".000Z" as ".000000"',
      }),
    });
    const created = await send('POST', url(), lease('2025-06-01T12:00:00.000000Z'));
    expect(created.status).toBe(201);
    expect(await send('POST', url(), lease('2025-06-01T12:00:00.000000Z'))).toEqual({
      status: 409,
      body: expect.objectContaining({
        reason: 'AlreadyExists',
        message: 'leases.coordination.k8s.io "failureprophet-leader" already exists',
      }),
    });
    const rv = stored().metadata.resourceVersion!;
    expect((await send('PUT', `${url()}/${NAME}`, lease('2025-06-01T12:00:01.000000Z'))).status).toBe(422);
    expect((await send('PUT', `${url()}/${NAME}`, lease('2025-06-01T12:00:01.000000Z', rv))).status).toBe(200);
    expect(await send('PUT', `${url()}/${NAME}`, lease('2025-06-01T12:00:02.000000Z', rv))).toEqual({
      status: 409,
      body: expect.objectContaining({
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on leases.coordination.k8s.io "failureprophet-leader": the object has been modified; please apply your changes to the latest version and try again',
      }),
    });
    expect(
      (
        await send('PUT', `${url()}/${NAME}`, {
          ...lease('2025-06-01T12:00:03.000000Z', stored().metadata.resourceVersion),
          spec: { leaseDurationSeconds: 0 },
        })
      ).status
    ).toBe(422);
  });

  it('creates a missing Lease on PUT (the lease strategy allows create on update), whatever resourceVersion the body carries', async () => {
    const put = await send('PUT', `${url()}/${NAME}`, lease('2025-06-01T12:00:00.000000Z', '4242'));
    expect(put.status).toBe(201);
    expect(put.body.metadata.resourceVersion).not.toBe('4242');
    expect(stored().spec).toMatchObject({ holderIdentity: 'p', renewTime: '2025-06-01T12:00:00.000000Z' });
  });

  it('says 422 for an update without a resourceVersion in the API server words, and checks a stale one before validating', async () => {
    await send('POST', url(), lease('2025-06-01T12:00:00.000000Z'));
    const rv = stored().metadata.resourceVersion!;
    expect(await send('PUT', `${url()}/${NAME}`, lease('2025-06-01T12:00:01.000000Z'))).toEqual({
      status: 422,
      body: expect.objectContaining({
        reason: 'Invalid',
        message:
          'leases.coordination.k8s.io "failureprophet-leader" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      }),
    });
    await send('PUT', `${url()}/${NAME}`, lease('2025-06-01T12:00:01.000000Z', rv));
    // Stale and invalid: the store's resourceVersion check comes first, so 409, not 422.
    const staleAndInvalid = { ...lease('2025-06-01T12:00:02.000000Z', rv), spec: { leaseDurationSeconds: 0 } };
    expect((await send('PUT', `${url()}/${NAME}`, staleAndInvalid)).status).toBe(409);
  });

  it('refuses a body whose name or namespace differs from the URL before looking the Lease up (400)', async () => {
    expect(
      await send('PUT', `${url()}/${NAME}`, { ...lease('2025-06-01T12:00:00.000000Z'), metadata: { name: 'other' } })
    ).toEqual({
      status: 400,
      body: expect.objectContaining({
        message: `the name of the object (other) does not match the name on the URL (${NAME})`,
      }),
    });
    expect(
      await send('PUT', `${url()}/${NAME}`, {
        ...lease('2025-06-01T12:00:00.000000Z'),
        metadata: { name: NAME, namespace: 'elsewhere' },
      })
    ).toEqual({
      status: 400,
      body: expect.objectContaining({
        message: 'the namespace of the provided object does not match the namespace sent on the request',
      }),
    });
    expect(h.kube.get('Lease', NAME, NAMESPACE)).toBeUndefined();
  });
});
