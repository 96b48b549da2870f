// Stores for the store tests whose clock stands still, closed after each test: SQLite in memory, or
// PostgreSQL on a database of the file's throwaway server, all with one secret key as replicas share it.

import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase, type SqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { postgresForTests } from '../harness/postgres';

/** Call it at the top of a test file: `name` names the PostgreSQL databases it creates, numbered. */
export function storesAt(now: number, name: string) {
  const secrets = ephemeralSecretBox();
  const server = postgresForTests();
  let databases = 0;
  const opened: Store[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) {
      await store.close();
    }
  });
  const closedAfterEach = <S extends Store>(store: S): S => {
    opened.push(store);
    return store;
  };
  /** A fresh database on the file's server: its URL. */
  const database = () => server().createDatabase(`${name}${++databases}`);
  const sqlite = (): SqliteStore => closedAfterEach(openSqliteDatabase(':memory:', () => now, { secrets }));
  const postgresAt = async (url: string): Promise<PostgresStore> =>
    closedAfterEach(await openPostgresStore(url, { secrets, limits: { maxConnections: 2 }, now: () => now }));
  return {
    server,
    database,
    sqlite,
    postgresAt,
    /** Each store by name (describe.each over its keys): SQLite in memory, PostgreSQL on a fresh database. */
    byKind: {
      SQLite: async (): Promise<Store> => sqlite(),
      PostgreSQL: async (): Promise<Store> => postgresAt(await database()),
    } as Record<string, () => Promise<Store>>,
  };
}
