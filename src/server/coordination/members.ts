import type { Clock } from '../clock';
import type { TargetOwnership } from '../pipeline/ownership';
import { ownerOf } from './partition';

/**
 * The replicas that share the watches: each announces itself and learns who else is live, and the
 * targets are partitioned over that list (partition.ts). Implementations: one Lease per replica
 * (kubeMembers.ts), a heartbeat table on PostgreSQL (pgMembers.ts), and a list fixed when it is
 * made (FixedMembership: a single process alone).
 */
export interface Membership {
  /** This replica's name among the members (its pod name). */
  readonly identity: string;
  /** One round: announce this replica (create or renew its record) and read the live set. Never rejects. */
  heartbeat(): Promise<void>;
  /**
   * The live members as of the last round, sorted, the same array while it does not change. Empty
   * while this replica's own announcement has lapsed (it could not renew for a whole lease): the
   * others count it gone and take its targets, so it must not watch them too.
   */
  live(): readonly string[];
  /** Why the last round failed, in words an operator can act on; undefined after a good round. */
  lastError(): string | undefined;
  /** Withdraws this replica at once (SIGTERM), so the others need not wait for its record to expire. */
  leave(): Promise<void>;
}

/**
 * Members nobody announces: by default one process alone (the only member, watching everything);
 * tests hand in the list all their replicas see, and change it in place to make one leave.
 */
export class FixedMembership implements Membership {
  constructor(
    readonly identity: string,
    private readonly members: readonly string[] = [identity]
  ) {}

  async heartbeat(): Promise<void> {}

  live(): readonly string[] {
    return this.members;
  }

  lastError(): string | undefined {
    return undefined;
  }

  async leave(): Promise<void> {}
}

/** Keeps one sorted array per distinct live set, so readers can tell a change by reference. */
export class LiveSet {
  private members: readonly string[] = [];

  get current(): readonly string[] {
    return this.members;
  }

  set(next: Iterable<string>): void {
    const sorted = [...new Set(next)].sort();
    if (sorted.length !== this.members.length || sorted.some((m, i) => m !== this.members[i])) {
      this.members = sorted;
    }
  }
}

/**
 * This replica's share of the targets. A target is given up as soon as the live set says another
 * member owns it, but taken up only once the set has held for `settleMs`: by then the member that
 * watched it has read the same set and stored its state and let it go (a joining replica), or is
 * gone (a dead one), so two replicas never score one target at once from the same checkpoint.
 */
export class TargetShare implements TargetOwnership {
  private seen: readonly string[] | undefined;
  /** The last live set that held for settleMs; undefined until one has. */
  private agreed: readonly string[] | undefined;
  private changedAt = 0;

  constructor(
    private readonly membership: Membership,
    private readonly clock: Clock,
    private readonly settleMs: number
  ) {}

  get identity(): string {
    return this.membership.identity;
  }

  /** Whether this replica watches the targets of that share key (a target, or a peer group) now. */
  owns = (shareKey: string): boolean => {
    const live = this.refresh();
    const me = this.membership.identity;
    return ownerOf(shareKey, live) === me && ownerOf(shareKey, this.agreed ?? []) === me;
  };

  /** Whether a live set has held for settleMs yet: until then this replica does not know its share. */
  settled(): boolean {
    this.refresh();
    return this.agreed !== undefined;
  }

  private refresh(): readonly string[] {
    const live = this.membership.live();
    const now = this.clock.now();
    if (live !== this.seen) {
      // The first set a replica reads counts as settled only after settleMs too: it may be joining.
      this.seen = live;
      this.changedAt = now;
    }
    if (now - this.changedAt >= this.settleMs) {
      this.agreed = live;
    }
    return live;
  }
}

/**
 * Runs a membership: announces at once, then every `periodMs` on the clock; `stop()` ends the
 * rounds and leaves. What main.ts calls, with the TargetShare's `owns` given to the pipeline.
 */
export async function runMembership(
  membership: Membership,
  clock: Clock,
  periodMs: number
): Promise<{ stop(): Promise<void> }> {
  await membership.heartbeat();
  // Rounds never overlap, and at most one waits behind a slow one: ticks queued behind a slow API server or
  // store would pile up without end, and a stop would wait for every one of them.
  let round: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const next = (): void => {
    round = membership.heartbeat().finally(() => {
      round = undefined;
      if (again && !stopped) {
        again = false;
        next();
      }
    });
  };
  const cancel = clock.every(periodMs, () => {
    if (round) {
      again = true;
    } else {
      next();
    }
  });
  return {
    stop: async () => {
      stopped = true;
      cancel();
      await round;
      await membership.leave();
    },
  };
}
