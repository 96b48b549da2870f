// Two replicas' stores on one database, for tests that race two engines on the same rows.

import { openPostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteDatabase } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';
import { postgresForTests } from '../harness/postgres';

/**
 * By kind: the same SQLite twice, or two PostgreSQL pools on one database named `name`. Call it at
 * the top of a test file: it starts a throwaway PostgreSQL for the file's tests.
 */
export function replicaStores(now: number): Record<string, (name: string) => Promise<Store[]>> {
  const postgres = postgresForTests();
  const secrets = ephemeralSecretBox();
  return {
    SQLite: async () => {
      const store = openSqliteDatabase(':memory:', () => now, { secrets });
      return [store, store];
    },
    PostgreSQL: async (name) => {
      const url = await postgres().createDatabase(name);
      const open = (replica: string) =>
        openPostgresStore(url, { secrets, limits: { maxConnections: 4 }, replica, now: () => now });
      return [await open('replica-a'), await open('replica-b')];
    },
  };
}

/** Closes both stores (once when they are one). */
export async function closeStores([a, b]: Store[]): Promise<void> {
  await a.close();
  if (b !== a) {
    await b.close();
  }
}
