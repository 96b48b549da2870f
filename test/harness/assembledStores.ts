import type { Clock } from '../../src/server/clock';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { postgresForTests } from './postgres';
import { assembledOn, type AssembledApp } from './server';

/** The whole backend on one of the stores. */
export type StoreBackend = AssembledApp<SqliteStore | PostgresStore>;

/** Opens the whole backend with this FP_CONFIG content on one kind of store, every part reading `clock`. */
export type AssembledOpener = (config: Record<string, unknown>, clock: Clock) => Promise<StoreBackend>;

/**
 * The whole backend on each store a test runs on, by name for `describe.each`: SQLite in its fresh data
 * dir, PostgreSQL in a fresh database (`<name>_<n>`) of the file's test server. Call it at the top of a
 * test file: it starts that server for the file (postgresForTests).
 */
export function assembledStores(name: string): Record<'SQLite' | 'PostgreSQL', AssembledOpener> {
  const postgres = postgresForTests();
  const secrets = ephemeralSecretBox();
  let databases = 0;
  return {
    SQLite: (config, clock) => assembledOn<SqliteStore>((dir) => openSqliteStore(dir, clock.now), config, clock),
    PostgreSQL: async (config, clock) => {
      const database = await postgres().createDatabase(`${name}_${++databases}`);
      return assembledOn<PostgresStore>(
        () => openPostgresStore(database, { secrets, limits: { maxConnections: 4 }, now: clock.now }),
        config,
        clock
      );
    },
  };
}
