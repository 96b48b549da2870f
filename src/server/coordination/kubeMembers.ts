import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { z } from 'zod';
import { call, type KubeClient } from '../kubernetes/client';
import type { KubeRequest } from '../kubernetes/errors';
import { heldLease, LEASE_GROUP, LeaseObserver, leaseRequest, leaseSpecSchema } from './leases';
import { LiveSet, type Membership } from './members';

export interface KubeMembershipOptions {
  client: KubeClient;
  /** The backend's own namespace, where its Role grants leases. */
  namespace: string;
  /** Names this group of replicas: its Leases are `<prefix>-member-<identity>`, labelled with it. */
  prefix: string;
  identity: string;
  /** A member that has not renewed for this long is gone. */
  leaseDurationSeconds: number;
}

/** The label every member Lease of one group carries, so one list with a selector finds them all. */
export const MEMBER_LABEL = 'failureprophet.io/members-of';

const NO_ONE: readonly string[] = [];

const memberLeaseSchema = z.object({
  metadata: z.object({ name: z.string(), resourceVersion: z.string().optional() }),
  spec: leaseSpecSchema.nullish(),
});

/**
 * Membership on Kubernetes: one `coordination.k8s.io/v1` Lease per replica, renewed every round
 * with the resourceVersion it holds (an update without one is refused), listed by its label. A
 * member is live until its Lease runs out by this replica's clock (LeaseObserver: a node whose
 * clock ran ahead counted live members out, took their targets beside them and deleted their
 * Leases); Leases of members long gone are deleted with their resourceVersion as precondition, so
 * a member that renewed meanwhile keeps its own. On stop a replica deletes its Lease.
 */
export class KubeMembership implements Membership {
  readonly identity: string;
  private readonly liveSet = new LiveSet();
  private held: V1Lease | undefined;
  /** When this replica's Lease was last written (its own clock). */
  private announcedAt: number | undefined;
  private error: string | undefined;
  private readonly observer: LeaseObserver;

  constructor(private readonly options: KubeMembershipOptions) {
    this.identity = options.identity;
    this.observer = new LeaseObserver(options.leaseDurationSeconds);
  }

  /** The Lease name of a member. */
  static leaseName(prefix: string, identity: string): string {
    return `${prefix}-member-${identity}`;
  }

  private get name(): string {
    return KubeMembership.leaseName(this.options.prefix, this.identity);
  }

  private request(verb: KubeRequest['verb'], name?: string): KubeRequest {
    return leaseRequest(this.options.namespace, verb, name);
  }

  live(): readonly string[] {
    const lapsed =
      this.announcedAt === undefined ||
      this.options.client.clock.now() >= this.announcedAt + this.options.leaseDurationSeconds * 1000;
    return lapsed ? NO_ONE : this.liveSet.current;
  }

  lastError(): string | undefined {
    return this.error;
  }

  async heartbeat(): Promise<void> {
    const now = this.options.client.clock.now();
    const announced = await this.announce(now);
    if (announced !== true) {
      this.error = announced;
      return;
    }
    this.announcedAt = now;
    const { client, namespace, prefix } = this.options;
    const listed = await call(client, this.request('list'), (o) =>
      client.coordination.listNamespacedLease({ namespace, labelSelector: `${MEMBER_LABEL}=${prefix}` }, o)
    );
    if (!listed.ok) {
      this.error = listed.error.message;
      return;
    }
    const live = [this.identity];
    const expired: Array<{ name: string; resourceVersion: string }> = [];
    // Seen when the list came, not when the round began: a slow answer must not age the Leases.
    const seenAt = client.clock.now();
    const listedNames = new Set<string>();
    for (const item of listed.value.items) {
      const lease = memberLeaseSchema.safeParse(item);
      if (!lease.success) {
        continue; // Not one this build wrote: it names no member.
      }
      const { metadata, spec } = lease.data;
      listedNames.add(metadata.name);
      const until = this.observer.expiry(lease.data, seenAt);
      if (spec?.holderIdentity && until > seenAt) {
        live.push(spec.holderIdentity);
      } else if (metadata.resourceVersion && !(until > seenAt - 10 * this.options.leaseDurationSeconds * 1000)) {
        expired.push({ name: metadata.name, resourceVersion: metadata.resourceVersion });
      }
    }
    this.observer.keepOnly(listedNames);
    this.liveSet.set(live);
    this.error = undefined;
    await Promise.all(expired.map((e) => this.remove(e.name, e.resourceVersion)));
  }

  async leave(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    this.announcedAt = undefined;
    if (held?.metadata?.resourceVersion) {
      await this.remove(this.name, held.metadata.resourceVersion);
    }
  }

  /** Creates or renews this replica's Lease; true, or why not. */
  private async announce(now: number): Promise<true | string> {
    if (this.held) {
      const renewed = await this.write(this.held, now);
      if (renewed === true) {
        return true;
      }
      this.held = undefined; // Changed or deleted under us: read it again below.
    }
    const { client, namespace } = this.options;
    const read = await call(client, this.request('get', this.name), (o) =>
      client.coordination.readNamespacedLease({ name: this.name, namespace }, o)
    );
    if (read.ok) {
      // An earlier run of this replica (same pod name) left it: it is ours to renew.
      return this.write(read.value, now);
    }
    if (read.error.kind !== 'not-found') {
      return read.error.message;
    }
    const at = new V1MicroTime(now);
    const body: V1Lease = {
      apiVersion: `${LEASE_GROUP}/v1`,
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace,
        labels: { 'app.kubernetes.io/name': 'failureprophet', [MEMBER_LABEL]: this.options.prefix },
      },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.options.leaseDurationSeconds,
        acquireTime: at,
        renewTime: at,
      },
    };
    const created = await call(client, this.request('create'), (o) =>
      client.coordination.createNamespacedLease({ namespace, body }, o)
    );
    if (!created.ok) {
      return created.error.message;
    }
    this.held = created.value;
    return true;
  }

  private async write(lease: V1Lease, now: number): Promise<true | string> {
    const { client, namespace } = this.options;
    const body = heldLease(lease, this.options, new V1MicroTime(now));
    const written = await call(client, this.request('update', this.name), (o) =>
      client.coordination.replaceNamespacedLease({ name: this.name, namespace, body }, o)
    );
    if (!written.ok) {
      return written.error.message;
    }
    this.held = written.value;
    return true;
  }

  /** Deletes a member Lease unless it changed since it was read (409) or is gone already (404). */
  private async remove(name: string, resourceVersion: string): Promise<void> {
    const { client, namespace } = this.options;
    const deleted = await call(client, this.request('delete', name), (o) =>
      client.coordination.deleteNamespacedLease({ name, namespace, body: { preconditions: { resourceVersion } } }, o)
    );
    if (!deleted.ok && deleted.error.kind !== 'not-found' && deleted.error.kind !== 'conflict') {
      this.error = deleted.error.message;
    }
  }
}
