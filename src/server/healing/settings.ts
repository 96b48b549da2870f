import type Database from 'better-sqlite3';
import {
  safetyLimitsSchema,
  type KillSwitch,
  type PoliciesResponse,
  type Policy,
  type Reason,
  type SafetyLimits,
  type SafetyLimitsResponse,
} from '../../contract/healing';
import { iso } from './lifecycle';
import { DEFAULT_POLICIES } from './policies';
import type { AuditRepository } from './store/audit';
import type { SettingsStore } from './store/settings';

/**
 * Policies, safety limits and the kill switch as the engine uses them: the store's when an admin
 * saved them, else the config file's, else the defaults. Every change is audited with its user.
 */
export class HealingSettings {
  constructor(
    private readonly db: Database.Database,
    private readonly store: SettingsStore,
    private readonly audit: AuditRepository,
    private readonly now: () => number,
    private readonly fromConfig: { policies?: Policy[]; limits?: SafetyLimits }
  ) {}

  policies(): PoliciesResponse {
    const saved = this.store.policies();
    if (saved) {
      return {
        policies: saved.value,
        source: 'store',
        updatedAt: saved.updatedAt,
        ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}),
      };
    }
    return this.fromConfig.policies
      ? { policies: this.fromConfig.policies, source: 'config' }
      : { policies: DEFAULT_POLICIES, source: 'default' };
  }

  setPolicies(policies: Policy[], user: string): PoliciesResponse {
    const at = this.now();
    const before = this.policies().policies.map((p) => p.name);
    this.db.transaction(() => {
      this.store.setPolicies(policies, at, user);
      this.audit.append({
        at,
        kind: 'policies_changed',
        user,
        message: `${user} saved ${policies.length} policies (${policies.map((p) => `${p.name}: ${p.action.type}, gate ${p.gate}`).join('; ')})`,
        details: { before, after: policies },
      });
    })();
    return this.policies();
  }

  limits(): SafetyLimitsResponse {
    const saved = this.store.limits();
    if (saved) {
      return {
        limits: saved.value,
        source: 'store',
        updatedAt: saved.updatedAt,
        ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}),
      };
    }
    return this.fromConfig.limits
      ? { limits: this.fromConfig.limits, source: 'config' }
      : { limits: safetyLimitsSchema.parse({}), source: 'default' };
  }

  setLimits(limits: SafetyLimits, user: string): SafetyLimitsResponse {
    const at = this.now();
    const before = this.limits().limits;
    this.db.transaction(() => {
      this.store.setLimits(limits, at, user);
      this.audit.append({
        at,
        kind: 'limits_changed',
        user,
        message: `${user} changed the safety limits`,
        details: { before, after: limits },
      });
    })();
    return this.limits();
  }

  killSwitch(): KillSwitch {
    return this.store.killSwitch();
  }

  setKillSwitch(engaged: boolean, user: string, reason?: string): KillSwitch {
    const at = this.now();
    const value: KillSwitch = { engaged, changedBy: user, changedAt: at, ...(reason ? { reason } : {}) };
    this.db.transaction(() => {
      this.store.setKillSwitch(value);
      this.audit.append({
        at,
        kind: 'kill_switch',
        user,
        comment: reason,
        message: engaged
          ? `${user} engaged the kill switch: nothing executes until it is released`
          : `${user} released the kill switch`,
      });
    })();
    return value;
  }

  /** Why nothing runs, when the kill switch is engaged. */
  killSwitchRefusal(): Reason | undefined {
    const ks = this.store.killSwitch();
    if (!ks.engaged) {
      return undefined;
    }
    const by = ks.changedBy ? ` by ${ks.changedBy}` : '';
    const when = ks.changedAt ? ` at ${iso(ks.changedAt)}` : '';
    return {
      kind: 'kill-switch',
      message: `the kill switch is engaged${by}${when}${ks.reason ? `: ${ks.reason}` : ''}; nothing executes`,
    };
  }
}
