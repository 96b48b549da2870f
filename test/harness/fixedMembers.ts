import type { Membership } from '../../src/server/coordination/members';

/** Members that all see the same live list at once (the list's renewal is tested in src/server/coordination). */
export class FixedMembers implements Membership {
  constructor(
    readonly identity: string,
    private readonly members: readonly string[]
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
