import type { z } from 'zod';
import type { HealingRepositories } from '../healing/store/repositories';
import type { PipelineRepository } from '../pipeline/store/repository';
import type { SecretBox } from './secrets';
import type { StoreWriteHealth } from './writeHealth';

/**
 * What the rest of the backend may ask of persistence: asynchronous, so one interface covers the
 * embedded SQLite default and PostgreSQL shared by several replicas (`openStore` picks one).
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Rejects when the store cannot answer (/readyz's store check). */
  ping(): Promise<void>;
  /** Whether it can write, as its calls found out (/readyz's storeWrites check, `failureprophet_store_writable`). */
  readonly writeHealth: Pick<StoreWriteHealth, 'check' | 'writable'>;
  settings: SettingsRepository;
  /** What the healing engine keeps: triggers, actions, the audit log, breakers, held nodes. */
  healing: HealingRepositories;
  /** What the watch loop keeps: target checkpoints, anomalies, predictions, models, feedback. */
  pipeline: PipelineRepository;
  close(): Promise<void>;
}

export interface SettingsRepository {
  /**
   * The value saved under `key` as `schema` reads it; undefined when none is. A value that does not
   * fit (another build's, a hand edit) throws a StoredRowError naming the key and the field.
   */
  get<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S> | undefined>;
  set<T>(key: string, value: T): Promise<void>;
  /** Seals secrets kept in settings with a key held outside the database. */
  readonly secrets: SecretBox;
}
