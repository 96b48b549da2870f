import {
  safetyLimitsSchema,
  type KillSwitch,
  type PoliciesResponse,
  type Policy,
  type Reason,
  type SafetyLimits,
  type SafetyLimitsResponse,
} from '../../contract/healing';
import { DEFAULT_POLICIES } from './policies';
import type { Saved, SettingsStore } from './store/settings';
import { counted } from '../../utils/count';

/** A setting and where it comes from: the store (with who saved it when), the config file, or the default. */
function sourced<T>(
  saved: Saved<T> | undefined,
  fromConfig: T | undefined,
  byDefault: () => T
): { value: T; source: 'store' | 'config' | 'default'; updatedAt?: number; updatedBy?: string } {
  if (saved) {
    return {
      value: saved.value,
      source: 'store',
      updatedAt: saved.updatedAt,
      ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}),
    };
  }
  return fromConfig ? { value: fromConfig, source: 'config' } : { value: byDefault(), source: 'default' };
}

/**
 * Policies, safety limits and the kill switch as the engine uses them: the store's when an admin
 * saved them, else the config file's, else the defaults. Every change is audited with its user, in
 * the transaction that saves it.
 */
export class HealingSettings {
  constructor(
    private readonly store: SettingsStore,
    private readonly now: () => number,
    private readonly fromConfig: { policies?: Policy[]; limits?: SafetyLimits }
  ) {}

  async policies(): Promise<PoliciesResponse> {
    const { value, ...from } = sourced(await this.store.policies(), this.fromConfig.policies, () => DEFAULT_POLICIES);
    return { policies: value, ...from };
  }

  async setPolicies(policies: Policy[], user: string): Promise<PoliciesResponse> {
    const at = this.now();
    const before = (await this.policies()).policies.map((p) => p.name);
    await this.store.setPolicies(policies, at, user, {
      at,
      kind: 'policies_changed',
      user,
      message: `${user} saved ${counted(policies.length, 'policy', 'policies')} (${policies.map((p) => `${p.name}: ${p.action.type}, gate ${p.gate}`).join('; ')})`,
      details: { before, after: policies },
    });
    return this.policies();
  }

  async limits(): Promise<SafetyLimitsResponse> {
    const { value, ...from } = sourced(await this.store.limits(), this.fromConfig.limits, () =>
      safetyLimitsSchema.parse({})
    );
    return { limits: value, ...from };
  }

  async setLimits(limits: SafetyLimits, user: string): Promise<SafetyLimitsResponse> {
    const at = this.now();
    const before = (await this.limits()).limits;
    await this.store.setLimits(limits, at, user, {
      at,
      kind: 'limits_changed',
      user,
      message: `${user} changed the safety limits`,
      details: { before, after: limits },
    });
    return this.limits();
  }

  killSwitch(): Promise<KillSwitch> {
    return this.store.killSwitch();
  }

  async setKillSwitch(engaged: boolean, user: string, reason?: string): Promise<KillSwitch> {
    const at = this.now();
    const value: KillSwitch = { engaged, changedBy: user, changedAt: at, ...(reason ? { reason } : {}) };
    await this.store.setKillSwitch(value, {
      at,
      kind: 'kill_switch',
      user,
      comment: reason,
      message: engaged
        ? `${user} engaged the kill switch: nothing executes until it is released`
        : `${user} released the kill switch`,
    });
    return value;
  }

  /** Why nothing runs, when the kill switch is engaged. */
  async killSwitchRefusal(): Promise<Reason | undefined> {
    const ks = await this.store.killSwitch();
    if (!ks.engaged) {
      return undefined;
    }
    const by = ks.changedBy ? ` by ${ks.changedBy}` : '';
    // Since when as a time, not text: the app says it in the viewer's zone, logs in UTC (reasonText).
    return {
      kind: 'kill-switch',
      message: `the kill switch is engaged${by}${ks.reason ? `: ${ks.reason}` : ''}; nothing executes`,
      ...(ks.changedAt ? { since: ks.changedAt } : {}),
    };
  }
}
