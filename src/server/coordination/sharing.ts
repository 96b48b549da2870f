import type pg from 'pg';
import type { Clock } from '../clock';
import type { KubeClient } from '../kubernetes/client';
import type { TargetOwnership } from '../pipeline/ownership';
import { KubeMembership } from './kubeMembers';
import { FixedMembership, runMembership, TargetShare, type Membership } from './members';
import { PgMembership } from './pgMembers';

export interface WatchSharingOptions {
  /** This replica's name (its pod name). */
  identity: string;
  clock: Clock;
  /** In Kubernetes: member Leases in the backend's own namespace. Taken before `pool`. */
  kube?: { client: KubeClient; namespace: string };
  /** Without Kubernetes: the shared PostgreSQL's pool (migration 4 applied). */
  pool?: pg.Pool;
  /** Names the group of replicas: Lease prefix, or the members table's group. */
  group: string;
  /** A member that has not renewed for this long is gone; its targets move to the others after it (plus settleMs). */
  leaseDurationSeconds: number;
  /** How often each replica renews; well under the lease duration (client-go renews at about a third). */
  renewEveryMs: number;
  /**
   * How long a changed member list must hold before a replica takes targets up: at least one renew
   * period plus the longest watch step, so the replica giving them up has read the list and run a
   * cycle (storing their state) first.
   */
  settleMs: number;
}

export interface WatchSharing {
  membership: Membership;
  /** For PipelineDeps.ownership; undefined for a single process, which watches everything as before. */
  ownership: TargetOwnership | undefined;
  /** Ends the renewals and withdraws this replica (SIGTERM), after the pipeline has stopped and stored its state. */
  stop(): Promise<void>;
}

/**
 * What main.ts calls before building the pipeline: joins the replicas that share the watches (on
 * Kubernetes Leases, else on PostgreSQL, else alone) and starts renewing on the clock.
 */
export async function startWatchSharing(options: WatchSharingOptions): Promise<WatchSharing> {
  const { identity, clock, kube, pool, group, leaseDurationSeconds } = options;
  const membership: Membership = kube
    ? new KubeMembership({
        client: kube.client,
        namespace: kube.namespace,
        prefix: group,
        identity,
        leaseDurationSeconds,
      })
    : pool
      ? new PgMembership({ pool, group, identity, leaseDurationSeconds, now: clock.now })
      : new FixedMembership(identity);
  const running = await runMembership(membership, clock, options.renewEveryMs);
  return {
    membership,
    ownership: kube || pool ? new TargetShare(membership, clock, options.settleMs) : undefined,
    stop: () => running.stop(),
  };
}
