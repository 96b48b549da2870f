// Two replicas' stores on one database, for tests that race two engines on the same rows, and each
// replica's part in the leader election.

import { coordinationConfigSchema } from '../../src/server/config/schema';
import type { LeaderRole } from '../../src/server/coordination/leadership';
import type { HealingEngineDeps } from '../../src/server/healing';
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

/** The default lease (coordination.leaseDuration), as a deployment's replicas elect with it. */
const LEASE_DURATION_MS = coordinationConfigSchema.parse({}).leaseDuration;

/** What a replica of several is: the one that leads or one that follows (a lone replica's 'single' has no election). */
export type ElectedRole = Exclude<LeaderRole, 'single'>;

/**
 * A replica's part in the election, as assembleBackend hands it to its engine: of a deployment's
 * replicas exactly one leads (executes, recovers, verifies, summarises on its tick), its lead unbroken
 * since `leadingSince`; the others follow (intake, approvals, the API) and their ticks do nothing.
 * Two engines that both lead, each without an election, take each other's executing actions for a
 * dead process's and reconcile them: no deployment runs so.
 */
export function electedAs(role: ElectedRole, leadingSince: number): Pick<HealingEngineDeps, 'leads' | 'election'> {
  const leads = role === 'leader';
  return {
    leads: () => leads,
    election: { leaseDurationMs: LEASE_DURATION_MS, leadingSince: () => (leads ? leadingSince : undefined) },
  };
}
