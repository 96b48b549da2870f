import type { PolicyInput } from '../../src/contract/healing';
import type { Clock } from '../../src/server/clock';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openSqliteStore, type SqliteStore } from '../../src/server/store/sqlite';
import { anomalyRecord } from './anomalyRecords';
import { postgresForTests } from './postgres';
import { AUTH, assembledOn, type AssembledApp } from './server';

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

/** A notify policy that asks approval for every high anomaly: a proposal an operator decides on. */
export const NOTIFY_ON_APPROVAL: PolicyInput = {
  name: 'tell',
  match: { severities: ['high'] },
  action: { type: 'notify', message: 'cart is failing' },
  gate: 'approve',
};

/**
 * A high anomaly opened at `at` as the pipeline's cycle writes it (stored, then announced to healing,
 * which has taken it in when this returns): its id and target, and `close`, which stores and announces
 * its end the same way.
 */
export async function openedAnomaly(
  backend: StoreBackend,
  at: number
): Promise<{ id: number; targetId: string; close(end: number): Promise<void> }> {
  const { pipeline, healing } = backend.backend;
  const record = anomalyRecord(1, { state: 'open', start: at, end: at });
  const write = (anomaly: typeof record) =>
    backend.store.pipeline.commitCycle({
      watch: 'w',
      lastProcessed: anomaly.end,
      targets: [],
      anomalies: [anomaly],
      predictions: [],
      forgotten: [],
    });
  const [stored] = await write(record);
  const id = stored.id!;
  const { targetId, ...rest } = stored;
  const event = (over: Partial<typeof record>) => ({
    anomaly: { ...rest, ...over, id, target: targetId },
    object: null,
    score: 0.9,
  });
  pipeline.listeners.opened(event({}));
  await healing.idle();
  return {
    id,
    targetId,
    close: async (end) => {
      await write({ ...record, state: 'closed', end });
      pipeline.listeners.closed(event({ state: 'closed', end }));
      await healing.idle();
    },
  };
}

/** A request to the backend as Grafana's proxy sends an Admin's: the API token and the user `admin`. */
export const asAdmin = (backend: StoreBackend) => (method: 'GET' | 'PUT', url: string, payload?: object) =>
  backend.app.inject({ method, url, payload, headers: { ...AUTH, 'x-grafana-user': 'admin' } });
