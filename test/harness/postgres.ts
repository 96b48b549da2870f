/**
 * Starts Debian's real PostgreSQL for a test: a throwaway cluster (`initdb` + `pg_ctl`) in a
 * temporary folder, listening on a free loopback port with its unix socket in that folder, trust
 * authentication for the test user `fp`. Stopped and removed by `stop()`, which a test calls in
 * `afterAll`/`finally`.
 *
 *   const pg = await startPostgres();
 *   ... new Pool({ connectionString: await pg.createDatabase('t1') }) ...
 *   await pg.restart();   // the server goes away and comes back on the same port
 *   await pg.stop();
 *
 * initdb refuses to run as root, so as root the cluster runs as an unprivileged user (Debian's
 * `postgres`, else `nobody`) through `setpriv`, which execs rather than forks, in a folder it owns.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type PoolClient } from 'pg';
import { freePort } from './prometheus';

export const TEST_USER = 'fp';

export interface RunningPostgres {
  /** `postgres://fp@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  /** A fresh, empty database on this cluster; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (clients are disconnected), then a start on the same port and data; `whileDown` runs between. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** Stops the cluster and removes its folder. */
  stop(): Promise<void>;
}

const INSTALL_HINT = "run `bash scripts/install-test-deps.sh` (it installs Debian's postgresql package)";

/**
 * The folder holding initdb and pg_ctl: Debian keeps them out of PATH, in
 * /usr/lib/postgresql/<version>/bin (the newest is taken); else whatever PATH has.
 */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) {
    return join(root, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(`PostgreSQL's initdb is not installed: ${INSTALL_HINT}`);
  }
  return join(path, '..');
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** As root: the unprivileged user the cluster runs as. Otherwise undefined (run as oneself). */
function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) {
      return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists: initdb refuses to run as root');
}

function run(binary: string, args: string[], as: RunAs | undefined, what: string): void {
  const [command, argv] = as
    ? ['setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', '--', binary, ...args]]
    : [binary, args];
  // pg_ctl -w returns once the server accepts connections (or its -t timeout passes).
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${what} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  }
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const as = unprivilegedUser();
  const root = mkdtempSync(join(tmpdir(), 'fp-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  if (as) {
    chownSync(root, as.uid, as.gid);
  }
  const port = await freePort();
  const pgCtl = (args: string[], what: string) => {
    try {
      run(join(bin, 'pg_ctl'), ['-D', dataDir, ...args], as, what);
    } catch (err) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${(err as Error).message}\n${log}`);
    }
  };
  const start = () =>
    pgCtl(
      [
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        // fsync off: a throwaway cluster need not survive a power cut, and the machine is shared.
        `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
        'start',
      ],
      'pg_ctl start'
    );
  const stopServer = () => pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop'], 'pg_ctl stop');
  let started = false;
  try {
    run(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', TEST_USER, '--auth=trust', '--encoding=UTF8', '--no-sync', '--no-instructions'],
      as,
      'initdb'
    );
    start();
    started = true;
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const url = `postgres://${TEST_USER}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
        throw new Error(`not a plain database name: ${name}`);
      }
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${TEST_USER}@127.0.0.1:${port}/${name}`;
    },
    async restart(whileDown) {
      stopServer();
      try {
        await whileDown?.();
      } finally {
        start();
      }
    },
    async stop() {
      try {
        if (started && existsSync(join(dataDir, 'postmaster.pid'))) {
          stopServer();
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A throwaway cluster for the calling test file (or describe block): started before its tests,
 * stopped after them. Returns how to reach it from a test.
 */
export function postgresForTests(): () => RunningPostgres {
  let server: RunningPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  }, 120_000);
  return () => {
    if (!server) {
      throw new Error('the PostgreSQL test server did not start (see beforeAll)');
    }
    return server;
  };
}

/**
 * Resolves once another session of the watcher's database waits for a lock: a statement under test
 * has reached the lock a held transaction keeps. Each check is a round trip to the server, so the
 * waiting session moves on meanwhile.
 */
export async function someoneWaitsOnALock(watcher: PoolClient): Promise<void> {
  const waiting = async () =>
    (
      await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`
      )
    ).rows[0].n > 0;
  while (!(await waiting())) {
    // Asked again: nothing else to wait on.
  }
}
