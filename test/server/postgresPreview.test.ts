import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { reap, runBackend, type BackendRun } from '../harness/backend';
import { postgresForTests } from '../harness/postgres';
import { freePort } from '../harness/prometheus';

// FP_DATABASE_URL as the backend process takes it: settings and the healing state go to
// PostgreSQL, and the log says plainly what is shared and what is not, never with the password.
describe('FP_DATABASE_URL at start', () => {
  const TOKEN = 'a-test-token-of-enough-length-0123456789';
  let dir: string;
  let run: BackendRun | undefined;
  const postgres = postgresForTests();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-pgurl-'));
  });
  afterEach(async () => {
    await reap(run);
    run = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const logLines = (r: BackendRun) =>
    r
      .output()
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; postgres?: string });

  it('keeps all its state in PostgreSQL, joins the replicas there, and says so naming host and database only', async () => {
    const url = await postgres().createDatabase('backend');
    const port = await freePort();
    run = runBackend({
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_DATA_DIR: dir,
      FP_API_TOKEN: TOKEN,
      FP_DATABASE_URL: url.replace('postgres://fp@', 'postgres://fp:s3cret@'),
    });
    await run.started;
    const where = new URL(url);
    expect(logLines(run).find((l) => l.msg.startsWith('store.url'))).toEqual(
      expect.objectContaining({
        level: 30,
        postgres: `${where.hostname}:${where.port}/backend`,
        msg: "store.url (FP_DATABASE_URL): settings, the watch loop's and the healing state are in PostgreSQL, shared by the replicas on it; one of them leads (executes actions), and they share the watches",
      })
    );
    expect(logLines(run).some((l) => l.msg.startsWith('FP_SECRET_KEY is not set'))).toBe(true);
    const answer = await fetch(`http://127.0.0.1:${port}/api/admin/kill-switch`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ engaged: true, reason: 'maintenance' }),
    });
    expect(answer.status).toBe(200);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const setting = await client.query(`SELECT value FROM settings WHERE key = 'healing.killSwitch'`);
      expect(setting.rows[0].value).toMatchObject({ engaged: true, reason: 'maintenance' });
      const audit = await client.query(`SELECT kind, "user" FROM healing_audit`);
      expect(audit.rows).toEqual([{ kind: 'kill_switch', user: expect.any(String) }]);
      // The watch loop's tables are there, and this replica has joined the others sharing the watches.
      expect((await client.query('SELECT COUNT(*)::int AS n FROM anomalies')).rows).toEqual([{ n: 0 }]);
      expect((await client.query('SELECT COUNT(*)::int AS n FROM coordination_members')).rows).toEqual([{ n: 1 }]);
    } finally {
      await client.end();
    }
    expect(run.output().stdout + run.output().stderr).not.toContain('s3cret');
  }, 90_000);

  it('refuses to start when PostgreSQL cannot be reached, saying where, without the password', async () => {
    const pgPort = await freePort();
    run = runBackend({
      FP_PORT: String(await freePort()),
      FP_DATA_DIR: dir,
      FP_DATABASE_URL: `postgres://fp:s3cret@127.0.0.1:${pgPort}/failureprophet`,
    });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(
      new RegExp(
        `^failureprophet: PostgreSQL at 127\\.0\\.0\\.1:${pgPort}/failureprophet is unavailable: .*ECONNREFUSED`
      )
    );
    expect(run.output().stdout + run.output().stderr).not.toContain('s3cret');
  }, 90_000);

  it('refuses to start on a URL that is not PostgreSQL, saying what it must be', async () => {
    run = runBackend({
      FP_PORT: String(await freePort()),
      FP_DATA_DIR: dir,
      FP_DATABASE_URL: 'mysql://fp:s3cret@db/fp',
    });
    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toBe(
      'failureprophet: invalid configuration:\n  - store.url (from FP_DATABASE_URL): must be a PostgreSQL URL such as postgres://user@host:5432/failureprophet\n'
    );
  }, 90_000);
});
