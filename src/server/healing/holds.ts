import type { Reason, SafetyLimits } from '../../contract/healing';
import type { EvictionPolicy } from '../kubernetes';
import { evictionPolicy } from './limits';
import type { NamespacePauseList } from './pauses';
import type { HealingSettings } from './settings';
import type { SilenceSource } from './silences';
import type { StoredAction } from './store/actionRows';
import type { ActionRepository } from './store/repositories';
import type { Storm } from './storm';
import { outsideWindow } from './windows';

/** An action the policy's `auto` gate approved, not a person. */
export const approvedAutomatically = (action: StoredAction) =>
  action.gate === 'auto' && action.decisions.length > 0 && action.decisions.every((d) => d.user.startsWith('(policy '));

/**
 * When `auto` does not hold: a paused namespace, storm mode, outside the policy's time window, or
 * an Alertmanager silence on the target. Any of them turns an automatic action into one that waits
 * for a person, with the reason. Cheapest first: the silences are a network read.
 */
export class AutomationHolds {
  constructor(
    private readonly deps: {
      settings: HealingSettings;
      pauses: NamespacePauseList;
      storm: Storm;
      silences?: SilenceSource;
      actions: ActionRepository;
      now: () => number;
    }
  ) {}

  /** Without the network (the store only): what a running drain asks before each eviction. */
  async pausing(action: StoredAction): Promise<Reason | undefined> {
    const { settings, pauses, storm, now } = this.deps;
    const policy = (await settings.policies()).policies.find((p) => p.name === action.policy);
    return (await pauses.refusal(action.namespace)) ?? (await storm.refusal()) ?? outsideWindow(policy, now());
  }

  async refusal(action: StoredAction): Promise<Reason | undefined> {
    return (await this.pausing(action)) ?? (await this.deps.silences?.refusal(action.trigger));
  }

  /**
   * What a drain may evict: what the limits allow (evictionPolicy) and, for a drain automation runs (gate
   * `auto`, no person approved it), no pod of a paused namespace. A drain has no namespace of its own, so a
   * pause holds per pod, as the namespace limits do: the pod stays on the cordoned node, skipped with the
   * pause's reason and since when.
   */
  async evictions(action: StoredAction, limits: SafetyLimits): Promise<EvictionPolicy> {
    const allowed = await evictionPolicy(limits, this.deps.actions, this.deps.now());
    const automatic = action.state === 'proposed' ? action.gate === 'auto' : approvedAutomatically(action);
    if (!automatic) {
      return allowed;
    }
    const paused = await this.deps.pauses.refusals();
    return (namespace) => {
      const pause = paused(namespace);
      return allowed(namespace) ?? (pause && { why: pause.message, since: pause.since });
    };
  }
}
