import type { StoredAction } from './store/actionRows';

/**
 * How long an executing action another replica claimed may still be acted on by that replica,
 * counted on this replica's clock from when it began to lead or last saw the claim change: the
 * lease duration, then the Kubernetes request timeout. client-go's leader election warns that it
 * does not fence: a leader stops before its lease can expire (RenewDeadline), yet a request it sent
 * just before may still land until its timeout; and a released or lost PostgreSQL advisory lock
 * lets the next replica in before the old one noticed (its renew deadline, shorter than the lease).
 */
export const claimFenceMs = (leaseDurationMs: number, requestTimeoutMs: number) => leaseDurationMs + requestTimeoutMs;

/**
 * Which executing actions left by others this replica may recover now. A claim (who claimed it,
 * and its last write) counts as dead once this replica has led and seen it unchanged for the
 * fence; any write by its claimant (a drain's progress) starts that again. Without an election (one
 * process), or on an action claimed by nobody or by this process, nothing waits.
 */
export class ClaimFence {
  private readonly seen = new Map<number, { claim: string; at: number }>();

  constructor(
    private readonly deps: {
      now: () => number;
      /** This process's name on the actions it claims (the store's); absent: the store records none. */
      self?: string;
      /** The election's lease duration; absent: no election, one process. */
      leaseDurationMs?: number;
    }
  ) {}

  /** Not leading: what was seen does not count towards leading again. */
  forget(): void {
    this.seen.clear();
  }

  /** Forgets the actions no longer executing. */
  keepOnly(ids: readonly number[]): void {
    const executing = new Set(ids);
    for (const id of this.seen.keys()) {
      if (!executing.has(id)) {
        this.seen.delete(id);
      }
    }
  }

  /** Whether `action`, executing and not run by this process, may be recovered now. */
  passed(action: StoredAction, requestTimeoutMs: number): boolean {
    const { leaseDurationMs, self, now } = this.deps;
    if (leaseDurationMs === undefined || action.claimedBy === undefined || action.claimedBy === self) {
      return true;
    }
    const claim = `${action.claimedBy}@${action.updatedAt}`;
    const at = now();
    let seen = this.seen.get(action.id);
    if (seen?.claim !== claim) {
      seen = { claim, at };
      this.seen.set(action.id, seen);
    }
    return at - seen.at >= claimFenceMs(leaseDurationMs, requestTimeoutMs);
  }
}
