import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { call, type KubeClient } from '../kubernetes/client';
import type { KubeError, KubeRequest } from '../kubernetes/errors';
import { Elector } from './elector';
import { heldLease, LEASE_GROUP, LeaseObserver, leaseRequest, leaseSpecSchema } from './leases';

export interface LeaseElectorOptions {
  client: KubeClient;
  /** The backend's own namespace: the Role in deploy/rbac.yaml grants leases there only. */
  namespace: string;
  /** The Lease's name, the same for every replica. */
  name: string;
  identity: string;
  /** How long a leader that stopped renewing keeps the lease before another replica may take it. */
  leaseDurationSeconds: number;
  /**
   * How long after its last successful renewal (the time it wrote) a leader still acts: shorter
   * than the lease, so a leader whose renewals hang or fail has stopped before anyone may take over.
   */
  renewDeadlineMs: number;
}

/** The Lease every replica campaigns on; deploy/rbac.yaml grants get and update on this name only. */
export const LEASE_NAME = 'failureprophet-leader';

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does it: create
 * the Lease, or, when it exists, renew it (or take it over once it has expired, or nobody holds it)
 * with a PUT that carries the resourceVersion read, so of two replicas writing at once the API server
 * refuses one with 409 Conflict. A 409 is never leadership. Expired by this replica's clock
 * (LeaseObserver): judged by the holder's renewTime, a replica whose clock ran 5 s ahead, or a
 * renewTime written into the past, made a second leader beside one that still acted.
 * Times are sent as metav1.MicroTime (six fractional digits), which the API server requires. As
 * client-go's RenewDeadline, a leader acts only until the renew deadline after its last successful
 * renewal, so one cut off from the API server stops before its lease expires.
 */
export class LeaseElector extends Elector {
  private leadingUntil: number | undefined;
  /** The Lease as this replica last wrote it: what release() writes over. */
  private held: V1Lease | undefined;
  private readonly observer: LeaseObserver;

  constructor(private readonly options: LeaseElectorOptions) {
    super(options.identity);
    this.observer = new LeaseObserver(options.leaseDurationSeconds);
  }

  private request(verb: KubeRequest['verb']): KubeRequest {
    return leaseRequest(this.options.namespace, verb, this.options.name);
  }

  override isLeader(): boolean {
    return this.leadingUntil !== undefined && this.options.client.clock.now() < this.leadingUntil;
  }

  override async campaign(): Promise<boolean> {
    const { client, namespace, name } = this.options;
    const now = new Date(client.clock.now());
    const read = await call(client, this.request('get'), (o) =>
      client.coordination.readNamespacedLease({ name, namespace }, o)
    );
    if (!read.ok) {
      return read.error.kind === 'not-found' ? this.create(now) : this.fail(read.error);
    }
    const lease = read.value;
    const spec = leaseSpecSchema.safeParse(lease.spec ?? {});
    if (!spec.success) {
      return this.follow(
        `Lease ${namespace}/${name} has a spec this backend cannot read: ${spec.error.issues[0].message}`,
        `Lease ${namespace}/${name} cannot be read (its spec is not a Lease's)`
      );
    }
    const holder = spec.data.holderIdentity || undefined;
    const mine = holder === this.identity;
    if (holder && !mine) {
      // Seen when the answer came, not when the round began: a slow read must not age the record.
      const seenAt = client.clock.now();
      const expiresAt = this.observer.expiry({ metadata: lease.metadata ?? {}, spec: spec.data }, seenAt);
      if (expiresAt > seenAt) {
        return this.follow(`${holder} holds Lease ${namespace}/${name} until ${new Date(expiresAt).toISOString()}`);
      }
    }
    const at = new V1MicroTime(now.getTime());
    const body = heldLease(lease, this.options, at, {
      acquireTime: mine ? lease.spec?.acquireTime : at,
      leaseTransitions: (spec.data.leaseTransitions ?? 0) + (mine || !holder ? 0 : 1),
    });
    const written = await call(client, this.request('update'), (o) =>
      client.coordination.replaceNamespacedLease({ name, namespace, body }, o)
    );
    return written.ok ? this.lead(now, written.value, mine) : this.lost(written.error);
  }

  override async release(): Promise<void> {
    const held = this.held;
    if (!held || !this.isLeader()) {
      return;
    }
    this.leadingUntil = undefined;
    this.held = undefined;
    const { client, namespace, name } = this.options;
    const at = new V1MicroTime(client.clock.now());
    // As client-go releases: nobody holds it, so any candidate takes it on its next round. The
    // resourceVersion is ours: had someone else taken it meanwhile, the 409 leaves theirs alone.
    const body: V1Lease = {
      ...held,
      spec: { ...held.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: at, acquireTime: at },
    };
    const written = await call(client, this.request('update'), (o) =>
      client.coordination.replaceNamespacedLease({ name, namespace, body }, o)
    );
    this.released(written.ok ? undefined : written.error.message);
  }

  private async create(now: Date): Promise<boolean> {
    const { client, namespace, name } = this.options;
    const at = new V1MicroTime(now.getTime());
    const body: V1Lease = {
      apiVersion: `${LEASE_GROUP}/v1`,
      kind: 'Lease',
      metadata: { name, namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.options.leaseDurationSeconds,
        acquireTime: at,
        renewTime: at,
        leaseTransitions: 0,
      },
    };
    const created = await call(client, this.request('create'), (o) =>
      client.coordination.createNamespacedLease({ namespace, body }, o)
    );
    // 409 AlreadyExists: another replica created it first, and leads.
    return created.ok ? this.lead(now, created.value) : this.lost(created.error);
  }

  /** `renewed`: the Lease was this replica's when read, so nobody held it in between. */
  private lead(now: Date, lease: V1Lease, renewed = false): boolean {
    // A new lead is counted from the answer.
    this.led(renewed, this.options.client.clock.now());
    this.held = lease;
    // Counted from the renewTime written, which is no later than the API server stored it.
    this.leadingUntil = now.getTime() + this.options.renewDeadlineMs;
    return true;
  }

  private lost(error: KubeError): boolean {
    return error.kind === 'conflict'
      ? this.follow(
          `another replica wrote Lease ${this.options.namespace}/${this.options.name} first (409 ${error.reason ?? 'Conflict'})`
        )
      : this.fail(error);
  }

  /** The API server refused or did not answer: who leads is unknown, and this replica does not lead. */
  private fail(error: KubeError): boolean {
    return this.follow(error.message, this.publicReason(error));
  }

  /** `unknown` unset: another replica leads, which is a healthy follower's state. */
  private follow(why: string, unknown?: string): boolean {
    this.held = undefined;
    this.leadingUntil = undefined;
    return this.followed(why, unknown);
  }

  /**
   * What /readyz (public, fixed phrases) may say of a failed round: RBAC's verb and resource, or the
   * kind of failure. A 403 is RBAC's only when the server said so in RBAC's words (errors.ts parses
   * them into `forbidden`); an admission policy's or webhook's refusal is not blamed on RBAC, and its
   * words stay in the replica's last error (error.message quotes them), never on the public page.
   */
  private publicReason(error: KubeError): string {
    const lease = `leases.${LEASE_GROUP} in namespace ${this.options.namespace}`;
    switch (error.kind) {
      case 'forbidden':
        return error.forbidden
          ? `RBAC forbids ${error.forbidden.verb} on ${lease}`
          : `Kubernetes refuses ${error.request?.verb ?? 'a request'} on ${lease} (403 Forbidden, not by RBAC)`;
      case 'unauthorized':
        return 'Kubernetes rejects the credentials (401)';
      case 'timeout':
        return 'Kubernetes does not answer in time';
      case 'unreachable':
        return 'Kubernetes does not answer';
      default:
        return `Kubernetes refuses ${error.request?.verb ?? 'a request'} on ${lease} (${error.status ?? error.kind})`;
    }
  }
}
