import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { heldLease } from './leases';

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
