import { reasonText, type Breaker, type Reason, type SafetyLimits } from '../../contract/healing';
import { iso, type Lifecycle } from './lifecycle';
import type { Announcer } from './approvals';
import type { StoredAction } from './store/actions';
import type { BreakerRepository } from './store/repositories';

const hours = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`);

const held = (b: Breaker): Reason => ({
  kind: 'circuit-breaker',
  message: `circuit breaker open on ${b.target}: ${b.actionType} ran ${b.repeats} times in ${hours(b.windowSeconds)} and the fix does not hold; nothing runs there automatically until an Editor closes the breaker`,
  since: b.openedAt,
});

/**
 * Circuit breakers per target: when the same fix ran on a target `maxRepeats` times within the
 * window, the next automatic one opens the target's breaker. While open, automatic actions there
 * wait for approval with the reason; the operator is told once, when it opens; an Editor closes
 * it, and only repeats after that count again.
 */
export class CircuitBreakers {
  constructor(
    private readonly lifecycle: Lifecycle,
    readonly repo: BreakerRepository,
    private readonly announce: Announcer
  ) {}

  /**
   * For an action about to pass its gate automatically: why it must wait for a person instead,
   * opening the breaker when this would be one repeat too many. Notifications repeat harmlessly.
   */
  async hold(action: StoredAction, limits: SafetyLimits): Promise<Reason | undefined> {
    if (action.action.type === 'notify') {
      return undefined;
    }
    const { lifecycle, repo } = this;
    const open = await repo.openOn(action.target);
    if (open) {
      return held(open);
    }
    const { maxRepeats, windowSeconds } = limits.circuitBreaker;
    const now = lifecycle.now();
    const since = Math.max(now - windowSeconds * 1000, (await repo.lastClosedAt(action.target)) ?? -Infinity);
    const repeats = (await lifecycle.actions.startsOn(action.target, action.action.type, since)).length;
    if (repeats < maxRepeats) {
      return undefined;
    }
    const opened = await repo.open(
      { target: action.target, actionType: action.action.type, repeats, windowSeconds, actionId: action.id, at: now },
      (breaker) => ({
        at: now,
        kind: 'breaker_opened',
        actionId: action.id,
        triggerId: action.trigger.id,
        message: reasonText(held(breaker), iso),
        details: breaker,
      })
    );
    const breaker = opened ?? (await repo.openOn(action.target));
    if (!breaker) {
      return undefined;
    }
    if (opened) {
      lifecycle.metrics.refused('circuit-breaker');
      // Once, when it opens: the held actions themselves are announced as approvals.
      await this.announce(action, `${reasonText(held(opened), iso)}. Action ${action.id} waits for approval`);
    }
    return held(breaker);
  }

  /** An Editor closes the target's breaker; undefined when none was open. */
  close(target: string, user: string, comment?: string): Promise<Breaker | undefined> {
    const at = this.lifecycle.now();
    return this.repo.close(target, at, { user, ...(comment ? { comment } : {}) }, (closed) => ({
      at,
      kind: 'breaker_closed',
      actionId: closed.actionId,
      user,
      ...(comment ? { comment } : {}),
      message: `${user} closed the circuit breaker on ${target}: automatic actions may run there again`,
      details: closed,
    }));
  }
}
