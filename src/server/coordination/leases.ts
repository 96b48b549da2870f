import type { V1Lease, V1LeaseSpec, V1MicroTime } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubeRequest } from '../kubernetes/errors';
import { UnchangedSince } from '../../utils/unchangedSince';

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
 * When other replicas' Leases run out, by this replica's own clock, as client-go's observedTime: a
 * Lease a lease duration (its own, never shorter than this replica's) after this replica first read
 * it as it is; any write (a renewal) starts that again. Never by its renewTime: that is another
 * node's clock, or anyone's who may update the Lease (a renewTime written into the past would end a
 * holder that still acts, and a node whose clock runs ahead would end every other one).
 */
export class LeaseObserver {
  private readonly seen = new UnchangedSince<string>();

  constructor(private readonly leaseDurationSeconds: number) {}

  /** When `lease`, read at `now`, runs out. */
  expiry(
    lease: { metadata: { name?: string; resourceVersion?: string }; spec?: LeaseSpec | null },
    now: number
  ): number {
    const record = JSON.stringify([lease.metadata.resourceVersion, lease.spec]);
    const since = this.seen.since(lease.metadata.name ?? '', record, now);
    return since + Math.max(lease.spec?.leaseDurationSeconds ?? 0, this.leaseDurationSeconds) * 1000;
  }

  /** Forgets the Leases not among `names` (deleted, or no longer listed). */
  keepOnly(names: ReadonlySet<string>): void {
    this.seen.keepOnly(names);
  }
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
