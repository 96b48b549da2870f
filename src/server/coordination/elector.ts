/**
 * Who leads: of all replicas, one executes healing actions and runs retraining; every replica
 * serves the API. Two implementations share this interface: a Kubernetes Lease (lease.ts) and,
 * with no Kubernetes, a PostgreSQL advisory lock (advisoryLock.ts).
 *
 * The caller campaigns on its own period (the healing engine's tick), acting only while
 * `isLeader()`, and releases on stop (SIGTERM) so another replica takes over at once.
 */
export interface LeaderElector {
  /** This replica's name among the candidates (its pod name). */
  readonly identity: string;
  /** One round: acquire leadership, or renew it. Resolves whether this replica leads after it; never rejects. */
  campaign(): Promise<boolean>;
  /** Whether this replica may act as leader now (a leader that could not renew stops before its lease runs out). */
  isLeader(): boolean;
  /**
   * When, by this replica's clock, its unbroken lead began; undefined while it does not lead. A
   * lead that lapsed and came back begins again, even when nobody looked at `isLeader()` between.
   */
  leadingSince(): number | undefined;
  /** Why the last round did not lead, in words an operator can act on; undefined while leading. */
  lastError(): string | undefined;
  /**
   * Set when the last round could not find out who leads at all (refused, unreachable), as a
   * fixed phrase fit for the public /readyz (no URL, no upstream text); undefined when it did,
   * whether this replica leads or another one does.
   */
  undetermined(): string | undefined;
  /** Gives leadership up, so the next candidate need not wait for the lease to expire. */
  release(): Promise<void>;
}

/**
 * What both electors keep of their rounds, to answer the questions above alike: when the unbroken
 * lead began, why the last round did not lead, and whether it could not tell who leads. Each says
 * itself whether it leads now, since its lead lapses by its own deadline.
 */
export abstract class Elector implements LeaderElector {
  private leadingFrom = 0;
  private error: string | undefined;
  private unknown: string | undefined = 'no round yet';

  constructor(readonly identity: string) {}

  abstract campaign(): Promise<boolean>;
  abstract isLeader(): boolean;
  abstract release(): Promise<void>;

  leadingSince(): number | undefined {
    return this.isLeader() ? this.leadingFrom : undefined;
  }

  lastError(): string | undefined {
    return this.isLeader() ? undefined : this.error;
  }

  undetermined(): string | undefined {
    return this.unknown;
  }

  /**
   * The round led, `at` by this replica's clock. Called before the elector extends its own deadline:
   * a lead that is not `continued` (another replica may have led) or that lapsed meanwhile (it
   * stopped acting) is a new lead, counted from `at`.
   */
  protected led(continued: boolean, at: number): void {
    if (!continued || !this.isLeader()) {
      this.leadingFrom = at;
    }
    this.error = undefined;
    this.unknown = undefined;
  }

  /** The round did not lead, for `why`; `unknown` unset: who leads is known (another replica, or nobody after a release). */
  protected followed(why: string | undefined, unknown?: string): false {
    this.error = why;
    this.unknown = unknown;
    return false;
  }

  /** What a release leaves to say until the next round: why the server refused it, if it did. */
  protected released(refusal: string | undefined): void {
    this.error = refusal;
  }
}
