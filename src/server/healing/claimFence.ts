import { UnchangedSince } from '../../utils/unchangedSince';
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
  private readonly seen = new UnchangedSince<number>();

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
    this.seen.keepOnly(new Set(ids));
  }

  /** Whether `action`, executing and not run by this process, may be recovered now. */
  passed(action: StoredAction, requestTimeoutMs: number): boolean {
    const { leaseDurationMs, self, now } = this.deps;
    if (leaseDurationMs === undefined || action.claimedBy === undefined || action.claimedBy === self) {
      return true;
    }
    const at = now();
    const since = this.seen.since(action.id, `${action.claimedBy}@${action.updatedAt}`, at);
    return at - since >= claimFenceMs(leaseDurationMs, requestTimeoutMs);
  }
}
