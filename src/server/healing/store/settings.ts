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
  constructor(private readonly settings: SettingsRepository) {}

  policies(): Saved<Policy[]> | undefined {
    return this.settings.get(POLICIES, savedPoliciesSchema);
  }

  setPolicies(value: Policy[], at: number, by?: string): void {
    this.settings.set<Saved<Policy[]>>(POLICIES, { value, updatedAt: at, updatedBy: by });
  }

  /** Checked on the way out: limits saved by an older version get the defaults of the limits added since. */
  limits(): Saved<SafetyLimits> | undefined {
    return this.settings.get(LIMITS, savedLimitsSchema);
  }

  setLimits(value: SafetyLimits, at: number, by?: string): void {
    this.settings.set<Saved<SafetyLimits>>(LIMITS, { value, updatedAt: at, updatedBy: by });
  }

  namespacePauses(): NamespacePause[] {
    return this.settings.get(NAMESPACE_PAUSES, z.array(namespacePauseSchema)) ?? [];
  }

  setNamespacePauses(pauses: NamespacePause[]): void {
    this.settings.set(NAMESPACE_PAUSES, pauses);
  }

  /** Undefined while there is no storm (the repository has no delete: null is none). */
  storm(): StormState | undefined {
    return this.settings.get(STORM, stormStateSchema.nullable()) ?? undefined;
  }

  setStorm(state: StormState | undefined): void {
    this.settings.set(STORM, state ?? null);
  }

  killSwitch(): KillSwitch {
    return this.settings.get(KILL_SWITCH, killSwitchSchema) ?? { engaged: false };
  }

  setKillSwitch(value: KillSwitch): void {
    this.settings.set<KillSwitch>(KILL_SWITCH, value);
  }

  /**
   * The saved access with its token and CA decrypted; `unreadable` when they cannot be (the key
   * changed). A row saved in plain text by an older version is sealed in place on first read.
   */
  kubernetes(): Saved<StoredKubernetes> | UnreadableKubernetes | undefined {
    // null: cleared (the settings repository has no delete), back to the config file's access.
    // Read as anything: a shape this build does not know is reported as unreadable, not thrown.
    const raw = this.settings.get(KUBERNETES, z.unknown());
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
      this.setKubernetes(value, updatedAt, updatedBy);
      this.settings.checkpoint();
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
  setKubernetes(value: StoredKubernetes, at: number, by?: string): void {
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
    this.settings.set(KUBERNETES, { value: row, updatedAt: at, updatedBy: by });
  }

  clearKubernetes(): void {
    this.settings.set(KUBERNETES, null);
  }
}
