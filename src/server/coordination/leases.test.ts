import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { heldLease, LeaseObserver } from './leases';

const read: V1Lease = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'fp-leader', namespace: 'ops', resourceVersion: '41' },
  spec: {
    holderIdentity: 'pod-a',
    leaseDurationSeconds: 15,
    renewTime: new V1MicroTime(1_000),
    acquireTime: new V1MicroTime(500),
    leaseTransitions: 3,
  },
};

it('takes or renews a Lease as read: holder, duration and renewTime set, its resourceVersion and other fields kept', () => {
  const at = new V1MicroTime(9_000);
  const taken = heldLease(read, { identity: 'pod-b', leaseDurationSeconds: 20 }, at);
  expect(taken).toEqual({
    ...read,
    spec: { ...read.spec, holderIdentity: 'pod-b', leaseDurationSeconds: 20, renewTime: at },
  });
  // The leader election also moves acquireTime and counts the transition.
  expect(
    heldLease(read, { identity: 'pod-b', leaseDurationSeconds: 20 }, at, { acquireTime: at, leaseTransitions: 4 }).spec
  ).toEqual({
    holderIdentity: 'pod-b',
    leaseDurationSeconds: 20,
    renewTime: at,
    acquireTime: at,
    leaseTransitions: 4,
  });
  // The Lease read is not changed.
  expect(read.spec?.holderIdentity).toBe('pod-a');
});

it('counts a Lease out a lease duration after this replica first read it as it is, whatever its renewTime says', () => {
  const observer = new LeaseObserver(15);
  const lease = (resourceVersion: string, renewTime: string, leaseDurationSeconds = 15) => ({
    metadata: { name: 'fp-leader', resourceVersion },
    spec: { holderIdentity: 'pod-a', leaseDurationSeconds, renewTime },
  });
  // A renewTime in the past (another node's clock, or a hand-written one) does not shorten it.
  expect(observer.expiry(lease('41', '2000-01-01T00:00:00.000000Z'), 100_000)).toBe(115_000);
  expect(observer.expiry(lease('41', '2000-01-01T00:00:00.000000Z'), 110_000)).toBe(115_000);
  // Any write starts it again; a shorter duration written in it does not shorten this replica's own.
  expect(observer.expiry(lease('42', '2000-01-01T00:00:00.000000Z', 1), 112_000)).toBe(127_000);
  expect(observer.expiry(lease('43', '2000-01-01T00:00:00.000000Z', 60), 113_000)).toBe(173_000);
  // A Lease no longer listed is forgotten: read again, it is counted from then.
  observer.keepOnly(new Set());
  expect(observer.expiry(lease('43', '2000-01-01T00:00:00.000000Z', 60), 200_000)).toBe(260_000);
});
