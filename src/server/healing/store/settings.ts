import type { KillSwitch, Policy, SafetyLimits } from '../../../contract/healing';
import type { SettingsRepository } from '../../store/store';

export interface Saved<T> {
  value: T;
  updatedAt: number;
  updatedBy?: string;
}

const POLICIES = 'healing.policies';
const LIMITS = 'healing.limits';
const KILL_SWITCH = 'healing.killSwitch';
const KUBERNETES = 'healing.kubernetes';

/** Kubernetes access as an Admin saved it in Grafana; the token is a secret: never logged, never returned. */
export type StoredKubernetes =
  { mode: 'in-cluster' } | { mode: 'endpoint'; url: string; token: string; caData?: string };

/**
 * Policies, safety limits, the kill switch and Kubernetes access, kept in the store so they hold
 * across restarts (and replicas). Once an admin saved one of them, the saved one wins over the
 * config file.
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

  kubernetes(): Saved<StoredKubernetes> | undefined {
    // null: cleared (the settings repository has no delete), back to the config file's access.
    return this.settings.get<Saved<StoredKubernetes> | null>(KUBERNETES) ?? undefined;
  }

  setKubernetes(value: StoredKubernetes, at: number, by?: string): void {
    this.settings.set<Saved<StoredKubernetes>>(KUBERNETES, { value, updatedAt: at, updatedBy: by });
  }

  clearKubernetes(): void {
    this.settings.set(KUBERNETES, null);
  }
}
