import { messageOf } from '../../utils/messageOf';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  toDefinition,
  watchDefinitionListSchema,
  watchListSchema,
  type WatchConfig,
  type WatchDefinition,
  type WatchesConfigResponse,
} from '../../contract/watches';
import type { Clock } from '../clock';
import type { SettingsRepository } from '../store/store';
import { DEFAULT_WATCHES } from './defaultWatches';

/** The settings key of the watches an admin saved. */
export const WATCHES_KEY = 'pipeline.watches';

/** `watches: null` records a reset ("back to the file's watches"), with who did it and when. */
const savedSchema = z.object({
  watches: watchDefinitionListSchema.nullable(),
  updatedAt: z.number(),
  updatedBy: z.string().optional(),
});
type Saved = z.infer<typeof savedSchema>;

export interface EffectiveWatches extends WatchesConfigResponse {
  /** The same watches as the pipeline runs them (milliseconds, defaults filled in). */
  parsed: WatchConfig[];
}

/**
 * Which watches the backend runs: the ones an admin saved in Grafana (kept in the store) win over
 * the FP_CONFIG file's, which win over the defaults. Saved watches the store cannot give back
 * (unreadable JSON, or a shape this build refuses) are logged once and the file's are used; the
 * stored row is left as it is, so nothing is lost.
 */
export class WatchSettings {
  private saved?: Saved;
  private storeError?: string;

  constructor(
    private readonly deps: {
      settings: SettingsRepository;
      /** The config file's watches; absent: the defaults. */
      fromFile?: WatchConfig[];
      logger: Logger;
      clock: Pick<Clock, 'now'>;
    }
  ) {}

  /** Reads the watches an admin saved; until then (and when there are none) the file's run. */
  async load(): Promise<void> {
    this.saved = await this.read();
  }

  private async read(): Promise<Saved | undefined> {
    let raw: unknown;
    try {
      // Read as anything: a shape this build refuses is reported below and the file's watches run.
      raw = await this.deps.settings.get(WATCHES_KEY, z.unknown());
    } catch (err) {
      return this.unreadable(`its JSON does not parse (${messageOf(err)})`);
    }
    if (raw === undefined) {
      return undefined;
    }
    const parsed = savedSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.unreadable(`${issue.path.join('.') || 'value'}: ${issue.message}`);
    }
    return parsed.data;
  }

  private unreadable(reason: string): undefined {
    this.storeError = `the watches saved in the store (settings key "${WATCHES_KEY}") are unreadable: ${reason}`;
    this.deps.logger.error(
      { key: WATCHES_KEY },
      `${this.storeError}; running the ${this.deps.fromFile ? 'config file' : 'default'} watches instead. The stored value is kept; saving watches in Configuration → Watches replaces it`
    );
    return undefined;
  }

  current(): EffectiveWatches {
    const saved = this.saved;
    if (saved?.watches) {
      return {
        watches: saved.watches,
        parsed: watchListSchema.parse(saved.watches),
        source: 'store',
        updatedAt: saved.updatedAt,
        ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}),
      };
    }
    const parsed = this.deps.fromFile ?? DEFAULT_WATCHES;
    return {
      watches: parsed.map(toDefinition),
      parsed,
      source: this.deps.fromFile ? 'file' : 'defaults',
      ...(this.storeError ? { storeError: this.storeError } : {}),
    };
  }

  /** Saves watches already validated against the contract; from now on they win over the file. */
  async save(watches: WatchDefinition[], user: string): Promise<EffectiveWatches> {
    await this.write({ watches, updatedAt: this.deps.clock.now(), updatedBy: user });
    return this.current();
  }

  /** Back to the file's (or the default) watches. */
  async reset(user: string): Promise<EffectiveWatches> {
    await this.write({ watches: null, updatedAt: this.deps.clock.now(), updatedBy: user });
    return this.current();
  }

  private async write(value: Saved): Promise<void> {
    await this.deps.settings.set<Saved>(WATCHES_KEY, value);
    this.saved = value;
    this.storeError = undefined;
  }
}
