import type { z } from 'zod';
import type { SecretBox } from './secrets';

/**
 * What the rest of the backend may ask of persistence. The SQLite implementation is the default;
 * a PostgreSQL one implements the same interfaces for several replicas.
 */
export interface Store {
  /** Throws when the store cannot answer (used by /readyz). */
  ping(): void;
  settings: SettingsRepository;
  close(): void;
}

export interface SettingsRepository {
  /**
   * The value saved under `key` as `schema` reads it; undefined when none is. A value that does not
   * fit (another build's, a hand edit) throws a StoredRowError naming the key and the field.
   */
  get<S extends z.ZodType>(key: string, schema: S): z.output<S> | undefined;
  set<T>(key: string, value: T): void;
  /** Seals secrets kept in settings with a key held outside the database. */
  readonly secrets: SecretBox;
  /** Writes the WAL into the database file and empties it, so a replaced value leaves no copy behind. */
  checkpoint(): void;
}
