import type { HealingTrigger, Reason, SafetyLimits } from '../../contract/healing';
import { iso } from './lifecycle';
import type { ActionRepository } from './store/repositories';
import type { SettingsStore } from './store/settings';

export interface StormDeps {
  actions: ActionRepository;
  store: SettingsStore;
  /** Sends the storm's summary under the notifications' cap, audited (announcements.ts). */
  announce: (message: string, trigger: HealingTrigger) => Promise<void>;
  limits: () => Promise<SafetyLimits>;
  now: () => number;
}

/**
 * Storm mode: when more targets alarm at once than the limit allows, a failure is hitting
 * everything, and restarting everything rarely fixes it. Automatic actions then wait for approval,
 * one summary notification goes out, and the storm ends when the count falls back. Its state is
 * kept in the store and changed only by compare-and-set, so one storm notifies once, across restarts
 * and across replicas recounting at once.
 */
export class Storm {
  constructor(private readonly deps: StormDeps) {}

  /**
   * Recounts the alarming targets and starts or ends the storm. Resolves once the start's summary
   * notification was sent (or failed: it is audited either way, never retried).
   */
  async observe(trigger?: HealingTrigger): Promise<void> {
    const { actions, store, now } = this.deps;
    const limit = (await this.deps.limits()).storm.maxAlarmingTargets;
    const targets = await actions.alarmingTargets();
    const current = await store.storm();
    const at = now();
    if (current === undefined && targets > limit) {
      const message = `storm: ${targets} targets alarm at once (more than ${limit}); automatic actions wait for approval until fewer alarm`;
      const started = await store.changeStorm(
        undefined,
        { since: at, targets },
        {
          at,
          kind: 'storm',
          message,
          details: { targets, limit },
        }
      );
      // Another replica started it first: that one sends the summary.
      if (started && trigger) {
        await this.deps.announce(message, trigger);
      }
    } else if (current !== undefined && targets <= limit) {
      // Lost to another replica's change (it ended the storm, or ended and began another): nothing to do.
      await store.changeStorm(current, undefined, {
        at,
        kind: 'storm',
        message: `storm over: ${targets} targets alarm (at most ${limit}); automatic actions run again (the storm began ${iso(current.since)})`,
        details: { targets, limit, since: current.since },
      });
    }
  }

  /** Why automatic actions wait now, while a storm lasts. */
  async refusal(): Promise<Reason | undefined> {
    const current = await this.deps.store.storm();
    return current
      ? {
          kind: 'storm',
          message: `storm mode: more than ${(await this.deps.limits()).storm.maxAlarmingTargets} targets alarm at once, automatic actions wait for approval`,
          since: current.since,
        }
      : undefined;
  }
}
