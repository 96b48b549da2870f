import type { V1Lease, V1LeaseSpec, V1MicroTime } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubeRequest } from '../kubernetes/errors';

// What the leader's Lease (lease.ts) and the members' Leases (kubeMembers.ts) share.

export const LEASE_GROUP = 'coordination.k8s.io';

/** A request on Leases in the backend's namespace, as RBAC and the error messages name it. */
export const leaseRequest = (namespace: string, verb: KubeRequest['verb'], name?: string): KubeRequest => ({
  verb,
  resource: 'leases',
  group: LEASE_GROUP,
  namespace,
  name,
});

// What is read back from the API server is checked: MicroTime fields arrive as RFC 3339 text
// ("2025-06-01T12:00:00.000000Z"), whatever the client's types say.
export const leaseSpecSchema = z.object({
  holderIdentity: z.string().nullish(),
  leaseDurationSeconds: z.number().int().nullish(),
  renewTime: z.union([z.string(), z.date()]).nullish(),
  acquireTime: z.union([z.string(), z.date()]).nullish(),
  leaseTransitions: z.number().int().nullish(),
});
export type LeaseSpec = z.infer<typeof leaseSpecSchema>;

/**
 * When the holder's claim runs out: its renewTime plus leaseDurationSeconds, in milliseconds. NaN
 * (compares as expired) when the renewTime is missing or unreadable, as client-go treats a zero time.
 */
export function leaseExpiry(spec: LeaseSpec | null | undefined): number {
  const renewed = spec?.renewTime ? new Date(spec.renewTime).getTime() : NaN;
  return renewed + (spec?.leaseDurationSeconds ?? 0) * 1000;
}

/**
 * `lease` held by `holder` from `renewTime` on (taken or renewed), the rest of it as read, so its
 * resourceVersion makes the write fail with 409 if another replica wrote it meanwhile; `more` sets
 * the spec fields only the leader election keeps (acquireTime, leaseTransitions).
 */
export function heldLease(
  lease: V1Lease,
  holder: { identity: string; leaseDurationSeconds: number },
  renewTime: V1MicroTime,
  more: Pick<V1LeaseSpec, 'acquireTime' | 'leaseTransitions'> = {}
): V1Lease {
  return {
    ...lease,
    spec: {
      ...lease.spec,
      holderIdentity: holder.identity,
      leaseDurationSeconds: holder.leaseDurationSeconds,
      renewTime,
      ...more,
    },
  };
}
