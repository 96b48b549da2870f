import { messageOf } from '../../../utils/messageOf';
import { z } from 'zod';
import {
  killSwitchSchema,
  namespacePauseSchema,
  policySchema,
  safetyLimitsSchema,
  type KillSwitch,
  type NamespacePause,
  type Policy,
  type SafetyLimits,
} from '../../../contract/healing';
import { sealedSchema } from '../../store/secrets';
import type { SettingsRepository } from '../../store/store';
import type { AuditRepository, NewAuditEntry } from './repositories';

export interface Saved<T> {
  value: T;
  updatedAt: number;
  updatedBy?: string;
}

const POLICIES = 'healing.policies';
const LIMITS = 'healing.limits';
const KILL_SWITCH = 'healing.killSwitch';
const KUBERNETES = 'healing.kubernetes';
const NAMESPACE_PAUSES = 'healing.namespacePauses';
const STORM = 'healing.storm';

/** Storm mode as the engine last saw it; kept so one storm notifies once, across restarts too. */
export const stormStateSchema = z.strictObject({ since: z.number(), targets: z.number().int() });
export type StormState = z.infer<typeof stormStateSchema>;

/** Kubernetes access as an Admin saved it in Grafana; the token is a secret: never logged, never returned. */
export type StoredKubernetes =
  { mode: 'in-cluster' } | { mode: 'endpoint'; url: string; token: string; caData?: string };

/** A saved endpoint whose token and CA cannot be decrypted (another key): unusable until saved again. */
export interface UnreadableKubernetes {
  value: { mode: 'endpoint'; url: string };
  updatedAt: number;
  updatedBy?: string;
  unreadable: string;
}

const savedMeta = { updatedAt: z.number(), updatedBy: z.string().optional() };
const savedLimitsSchema = z.object({ ...savedMeta, value: safetyLimitsSchema });
const savedPoliciesSchema = z.object({ ...savedMeta, value: z.array(policySchema) });
const endpointSecretsSchema = z.strictObject({ token: z.string().min(1), caData: z.string().optional() });
/** As the row holds it: the token and CA sealed (AES-256-GCM); a plain row is from before they were. */
const persistedKubernetesSchema = z.object({
  ...savedMeta,
  value: z.union([
    z.strictObject({ mode: z.literal('in-cluster') }),
    z.strictObject({ mode: z.literal('endpoint'), url: z.string(), secrets: sealedSchema }),
    z.strictObject({ mode: z.literal('endpoint'), url: z.string(), ...endpointSecretsSchema.shape }),
  ]),
});

/**
 * Policies, safety limits, the kill switch and Kubernetes access, kept in the store so they hold
 * across restarts (and replicas). Once an admin saved one of them, the saved one wins over the
 * config file.
 */
export class SettingsStore {
  constructor(
    private readonly settings: SettingsRepository,
    private readonly audit: AuditRepository
  ) {}

  /** Saves a setting; with `entry`, the entry recording the change is written in the same transaction. */
  private async save(key: string, value: unknown, entry?: NewAuditEntry): Promise<void> {
    if (entry) {
      await this.audit.appendWithSetting(entry, { key, value });
    } else {
      await this.settings.set(key, value);
    }
  }

  async policies(): Promise<Saved<Policy[]> | undefined> {
    return await this.settings.get(POLICIES, savedPoliciesSchema);
  }

  setPolicies(value: Policy[], at: number, by: string | undefined, entry?: NewAuditEntry): Promise<void> {
    return this.save(POLICIES, { value, updatedAt: at, updatedBy: by } satisfies Saved<Policy[]>, entry);
  }

  /** Checked on the way out: limits saved by an older version get the defaults of the limits added since. */
  async limits(): Promise<Saved<SafetyLimits> | undefined> {
    return this.settings.get(LIMITS, savedLimitsSchema);
  }

  setLimits(value: SafetyLimits, at: number, by: string | undefined, entry?: NewAuditEntry): Promise<void> {
    return this.save(LIMITS, { value, updatedAt: at, updatedBy: by } satisfies Saved<SafetyLimits>, entry);
  }

  async namespacePauses(): Promise<NamespacePause[]> {
    return (await this.settings.get(NAMESPACE_PAUSES, z.array(namespacePauseSchema))) ?? [];
  }

  setNamespacePauses(pauses: NamespacePause[], entry?: NewAuditEntry): Promise<void> {
    return this.save(NAMESPACE_PAUSES, pauses, entry);
  }

  /** Undefined while there is no storm (the repository has no delete: null is none). */
  async storm(): Promise<StormState | undefined> {
    return (await this.settings.get(STORM, stormStateSchema.nullable())) ?? undefined;
  }

  /**
   * Starts or ends a storm only if it is still as this replica read it (`from`), with the entry
   * recording it, atomically: of replicas recounting at once, one wins and announces it. False
   * when another changed it first.
   */
  async changeStorm(from: StormState | undefined, to: StormState | undefined, entry: NewAuditEntry): Promise<boolean> {
    const id = await this.audit.appendIfSetting(entry, { key: STORM, from: from ?? null, value: to ?? null });
    return id !== undefined;
  }

  async killSwitch(): Promise<KillSwitch> {
    return (await this.settings.get(KILL_SWITCH, killSwitchSchema)) ?? { engaged: false };
  }

  setKillSwitch(value: KillSwitch, entry?: NewAuditEntry): Promise<void> {
    return this.save(KILL_SWITCH, value, entry);
  }

  /**
   * The saved access with its token and CA decrypted; `unreadable` when they cannot be (the key
   * changed). A row saved in plain text by an older version is sealed in place on first read.
   */
  async kubernetes(): Promise<Saved<StoredKubernetes> | UnreadableKubernetes | undefined> {
    // null: cleared (the settings repository has no delete), back to the config file's access.
    // Read as anything: a shape this build does not know is reported as unreadable, not thrown.
    const raw = await this.settings.get(KUBERNETES, z.unknown());
    if (raw === null || raw === undefined) {
      return undefined;
    }
    const parsed = persistedKubernetesSchema.safeParse(raw);
    if (!parsed.success) {
      const url = z.object({ value: z.object({ url: z.string() }) }).safeParse(raw);
      return {
        value: { mode: 'endpoint', url: url.success ? url.data.value.url : '' },
        updatedAt: 0,
        unreadable: `the stored Kubernetes access is not in a known shape (${parsed.error.issues[0].message})`,
      };
    }
    const { value, updatedAt, updatedBy } = parsed.data;
    if (value.mode === 'in-cluster') {
      return { value, updatedAt, updatedBy };
    }
    if (!('secrets' in value)) {
      // The store makes sure the plain row leaves no readable copy (SQLite: a WAL checkpoint after the write).
      await this.setKubernetes(value, updatedAt, updatedBy);
      return { value, updatedAt, updatedBy };
    }
    try {
      const secrets = endpointSecretsSchema.parse(this.settings.secrets.open(value.secrets, KUBERNETES));
      return { value: { mode: 'endpoint', url: value.url, ...secrets }, updatedAt, updatedBy };
    } catch (err) {
      return { value: { mode: 'endpoint', url: value.url }, updatedAt, updatedBy, unreadable: messageOf(err) };
    }
  }

  /** The token and CA are sealed before they reach the store; the URL and mode stay readable. */
  setKubernetes(value: StoredKubernetes, at: number, by?: string): Promise<void> {
    const row =
      value.mode === 'endpoint'
        ? {
            mode: value.mode,
            url: value.url,
            secrets: this.settings.secrets.seal(
              { token: value.token, ...(value.caData !== undefined ? { caData: value.caData } : {}) },
              KUBERNETES
            ),
          }
        : value;
    return this.settings.set(KUBERNETES, { value: row, updatedAt: at, updatedBy: by });
  }

  clearKubernetes(): Promise<void> {
    return this.settings.set(KUBERNETES, null);
  }
}
