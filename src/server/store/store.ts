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
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T): void;
}
