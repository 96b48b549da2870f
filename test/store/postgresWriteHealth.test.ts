import { Client } from 'pg';
import { auditQuerySchema } from '../../src/contract/healing';
import { Registry } from 'prom-client';
import { checkReadiness } from '../../src/server/http/readiness';
import { openPostgresStore, type PostgresStore } from '../../src/server/store/postgres';
import { refusalOf } from '../../src/server/store/postgres/refusals';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { registerStoreWritable } from '../../src/server/store/writeHealth';
import { T0 } from '../harness/anomalyRecords';
import { postgresForTests, TEST_USER } from '../harness/postgres';

// A real PostgreSQL refusing writes while the backend runs: made read-only (as a hot standby is), out of
// connections for the backend's role, stopped. Each must reach the gauge and /readyz as SQLite's full disk
// does, be said once, and clear by itself when a write goes through.
const server = postgresForTests();
let databases = 0;

/** Runs statements as the cluster's superuser on `database`. */
async function admin(database: string, ...statements: string[]): Promise<void> {
  const client = new Client({ connectionString: server().url.replace(/\/postgres$/, `/${database}`) });
  await client.connect();
  try {
    for (const sql of statements) {
      await client.query(sql);
    }
  } finally {
    await client.end();
  }
}

/** Ends every session of `role` on `database` but the caller's: the next call of the store opens new ones. */
const endSessions = (database: string, role = TEST_USER) =>
  `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = '${database}' AND usename = '${role}' AND pid <> pg_backend_pid()`;

async function open(user = TEST_USER, connectTimeoutMs = 2_000) {
  const name = `health${++databases}`;
  await server().createDatabase(name);
  if (user !== TEST_USER) {
    await admin(
      name,
      `CREATE ROLE ${user} LOGIN`,
      `ALTER DATABASE ${name} OWNER TO ${user}`,
      `GRANT ALL ON SCHEMA public TO ${user}`
    );
  }
  const url = `postgres://${user}@127.0.0.1:${server().port}/${name}`;
  const lines: string[] = [];
  const store = await openPostgresStore(url, {
    secrets: ephemeralSecretBox(),
    limits: { maxConnections: 2, connectTimeoutMs },
    writeLog: { warn: (m) => lines.push(`warn ${m}`), info: (m) => lines.push(`info ${m}`) },
  });
  const metrics = new Registry();
  registerStoreWritable(metrics, store.writeHealth);
  const writable = async () => (await metrics.getSingleMetric('failureprophet_store_writable')!.get()).values[0].value;
  const readiness = () => checkReadiness({ store, prometheus: { ping: async () => undefined } });
  return { name, store, lines, writable, readiness };
}

const append = (store: PostgresStore, i: number) =>
  store.healing.audit.append({ at: T0 + i, kind: 'trigger_opened', message: `entry ${i}` });

describe('PostgreSQL refusing writes', () => {
  it('read-only (a hot standby, default_transaction_read_only): refused with 25006, said once, not ready for writes, and clears when a write goes through', async () => {
    const { name, store, lines, writable, readiness } = await open();
    try {
      await append(store, 0);
      await admin('postgres', `ALTER DATABASE ${name} SET default_transaction_read_only = on`, endSessions(name));
      for (let i = 1; i <= 3; i++) {
        await expect(append(store, i)).rejects.toMatchObject({ code: '25006' });
      }
      expect(await writable()).toBe(0);
      expect(await readiness()).toMatchObject({
        status: 'not_ready',
        checks: { store: { ok: true }, storeWrites: { ok: false, message: 'store cannot write (read only)' } },
      });
      // The probe of deploy/ leaves it out: the reads still work.
      expect(
        (await checkReadiness({ store, prometheus: { ping: async () => undefined } }, { exclude: 'storeWrites' }))
          .status
      ).toBe('ready');
      // A read does not say it writes again.
      expect((await store.healing.audit.list(auditQuerySchema.parse({ limit: '10' }))).items).toHaveLength(1);
      expect(await writable()).toBe(0);
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^warn the store cannot write: PostgreSQL at 127\\.0\\.0\\.1:\\d+/${name} refuses writes in a read-only transaction \\(read_only_sql_transaction\\) \\(25006\\); .*: point store\\.url at the primary`
          )
        ),
      ]);

      // From another database: a session on this one is read-only too.
      await admin('postgres', `ALTER DATABASE ${name} RESET default_transaction_read_only`, endSessions(name));
      await append(store, 4);
      expect(await writable()).toBe(1);
      expect((await readiness()).status).toBe('ready');
      expect(lines.slice(1)).toEqual([expect.stringMatching(/^info the store writes again: PostgreSQL at /)]);
    } finally {
      await store.close();
    }
  });

  it('out of connections for its role (53300): said on the gauge, by both checks, and clears once it can connect', async () => {
    const { name, store, lines, writable, readiness } = await open('app');
    try {
      await append(store, 0);
      await admin(name, 'ALTER ROLE app CONNECTION LIMIT 0', endSessions(name, 'app'));
      await expect(append(store, 1)).rejects.toMatchObject({ code: '53300' });
      expect(await readiness()).toMatchObject({
        status: 'not_ready',
        checks: {
          store: { ok: false, message: 'store does not answer (too many connections)' },
          storeWrites: { ok: false, message: 'store cannot write (too many connections)' },
        },
      });
      expect(await writable()).toBe(0);
      await admin(name, 'ALTER ROLE app CONNECTION LIMIT -1');
      await append(store, 2);
      expect(await writable()).toBe(1);
      expect(lines).toEqual([
        expect.stringMatching(
          /^warn the store cannot write: PostgreSQL at .* refuses more connections \(too_many_connections\) \(53300\)/
        ),
        expect.stringMatching(/^info the store writes again/),
      ]);
    } finally {
      await store.close();
    }
  });

  it('stopped: unavailable on the gauge and /readyz while it is down (a probe heard, no write needed), clear once it is back', async () => {
    const { store, lines, writable, readiness } = await open();
    try {
      await append(store, 0);
      await server().restart(async () => {
        expect(await readiness()).toMatchObject({
          status: 'not_ready',
          checks: {
            store: { ok: false, message: 'store does not answer (unavailable)' },
            storeWrites: { ok: false, message: 'store cannot write (unavailable)' },
          },
        });
        await expect(append(store, 1)).rejects.toMatchObject({ name: 'StoreUnavailableError' });
        expect(await writable()).toBe(0);
      });
      expect((await readiness()).status).toBe('ready');
      expect(await writable()).toBe(1);
      await append(store, 2);
      expect(lines).toEqual([
        expect.stringMatching(/^warn the store cannot write: PostgreSQL at .* is unavailable \(ECONNREFUSED\)/),
        expect.stringMatching(/^info the store writes again/),
      ]);
    } finally {
      await store.close();
    }
  });

  it('its pool in use to the last connection: busy, not unavailable: asked once, nothing said, /readyz still ready', async () => {
    // Both of the pool's connections held: a call waits connectTimeoutMs in pg-pool's queue, whatever the
    // machine's load, and fails with pg-pool's queue timeout.
    const { store, lines, writable, readiness } = await open(TEST_USER, 100);
    const held = [await store.pool.connect(), await store.pool.connect()];
    const connects = jest.spyOn(store.pool, 'connect');
    try {
      await expect(append(store, 0)).rejects.toMatchObject({
        name: 'StoreBusyError',
        message: expect.stringMatching(/^PostgreSQL at .* is busy: every connection of this replica's pool/),
      });
      // Not retried: a retry would only queue again behind the same connections.
      expect(connects).toHaveBeenCalledTimes(1);
      expect(await writable()).toBe(1);
      // /readyz does not queue behind them (it would outwait a kubelet's 1 s probe): it asks the pool nothing.
      expect(await readiness()).toMatchObject({
        status: 'ready',
        checks: {
          store: { ok: true, message: 'store busy (every connection of the pool in use)' },
          storeWrites: { ok: true },
        },
      });
      expect(connects).toHaveBeenCalledTimes(1);
      held.splice(0).forEach((client) => client.release());
      await append(store, 1);
      expect(lines).toEqual([]);
    } finally {
      connects.mockRestore();
      held.forEach((client) => client.release());
      await store.close();
    }
  });

  it('its sessions terminated (pg_terminate_backend, 57P01): the call runs again on a new connection, and nothing is said', async () => {
    const { name, store, lines, writable } = await open();
    try {
      await append(store, 0);
      await admin('postgres', endSessions(name));
      await append(store, 1);
      expect(await writable()).toBe(1);
      expect(lines).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

it.each([
  ['53100', 'full', 'has no room left on its disk (disk_full)'],
  ['53200', 'out of memory', 'is out of memory (out_of_memory)'],
  ['58030', 'io error', 'cannot read or write its files (io_error)'],
])('reads SQLSTATE %s as "%s", and leaves a constraint or a cancelled statement alone', (code, reason, state) => {
  expect(refusalOf(Object.assign(new Error('server text'), { code }), 'db:5432/fp')).toMatchObject({
    code,
    reason,
    message: `PostgreSQL at db:5432/fp ${state} (${code})`,
  });
  for (const other of ['23505', '40001', '57014']) {
    expect(refusalOf(Object.assign(new Error('x'), { code: other }), 'db')).toBeUndefined();
  }
});
