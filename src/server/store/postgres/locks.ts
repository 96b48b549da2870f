/**
 * PostgreSQL advisory locks are named by two 32-bit integers: the first says "Failure Prophet"
 * (so another application's locks on the same server cannot collide), the second which lock.
 */
export const ADVISORY_NAMESPACE = 0x46500001;

export const ADVISORY_LOCKS = {
  /** Held while migrating, so two replicas starting at once apply each migration once. */
  migrate: 1,
  /** Held by the leader of the no-Kubernetes setup (src/server/coordination/advisoryLock.ts). */
  leader: 2,
  /**
   * Held (for its transaction) by each claim of an action for execution: the limits a claim checks
   * count every replica's executions, so claims take turns across replicas.
   */
  claim: 3,
} as const;
