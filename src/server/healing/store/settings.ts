import type { KillSwitch, Policy, SafetyLimits } from '../../../contract/healing';
import type { SettingsRepository } from '../../store/store';

interface Saved<T> {
  value: T;
  updatedAt: number;
  updatedBy?: string;
}

const POLICIES = 'healing.policies';
const LIMITS = 'healing.limits';
const KILL_SWITCH = 'healing.killSwitch';

/**
 * Policies, safety limits and the kill switch, kept in the store so they hold across restarts
 * (and replicas). Once an admin saved policies or limits, the saved ones win over the config file.
 */
export class SettingsStore {
  constructor(private readonly settings: SettingsRepository) {}

  policies(): Saved<Policy[]> | undefined {
    return this.settings.get<Saved<Policy[]>>(POLICIES);
  }

  setPolicies(value: Policy[], at: number, by?: string): void {
    this.settings.set<Saved<Policy[]>>(POLICIES, { value, updatedAt: at, updatedBy: by });
  }

  limits(): Saved<SafetyLimits> | undefined {
    return this.settings.get<Saved<SafetyLimits>>(LIMITS);
  }

  setLimits(value: SafetyLimits, at: number, by?: string): void {
    this.settings.set<Saved<SafetyLimits>>(LIMITS, { value, updatedAt: at, updatedBy: by });
  }

  killSwitch(): KillSwitch {
    return this.settings.get<KillSwitch>(KILL_SWITCH) ?? { engaged: false };
  }

  setKillSwitch(value: KillSwitch): void {
    this.settings.set<KillSwitch>(KILL_SWITCH, value);
  }
}
