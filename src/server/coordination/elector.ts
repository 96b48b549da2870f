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
