import { UnchangedSince } from '../../utils/unchangedSince';
import type { Election } from './context';
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
 * and its last write) counts as dead once this replica has seen it unchanged for the fence within
 * its current lead (the election says when that began: a lead lost and regained between two ticks
 * counts anew); any write by its claimant (a drain's progress) starts that again. Without an
 * election (one process), or on an action claimed by nobody or by this process, nothing waits.
 */
export class ClaimFence {
  private readonly seen = new UnchangedSince<number>();

  constructor(
    private readonly deps: {
      now: () => number;
      /** This process's name on the actions it claims (the store's); absent: the store records none. */
      self?: string;
      /** Absent: no election, one process. */
      election?: Election;
    }
  ) {}

  /** Forgets the actions no longer executing. */
  keepOnly(ids: readonly number[]): void {
    this.seen.keepOnly(new Set(ids));
  }

  /** Whether `action`, executing and not run by this process, may be recovered now. */
  passed(action: StoredAction, requestTimeoutMs: number): boolean {
    const { election, self, now } = this.deps;
    if (!election || action.claimedBy === undefined || action.claimedBy === self) {
      return true;
    }
    const leadingSince = election.leadingSince();
    if (leadingSince === undefined) {
      return false;
    }
    const at = now();
    const since = Math.max(leadingSince, this.seen.since(action.id, `${action.claimedBy}@${action.updatedAt}`, at));
    return at - since >= claimFenceMs(election.leaseDurationMs, requestTimeoutMs);
  }
}
