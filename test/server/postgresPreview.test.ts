import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reap, runBackend, type BackendRun } from '../harness/backend';
import { freePort } from '../harness/prometheus';

// FP_DATABASE_URL as the backend process takes it: checked at start, then said plainly that this
// version does not use it (nothing pretends replicas share state), never with its password.
describe('FP_DATABASE_URL at start', () => {
  let dir: string;
  let run: BackendRun | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-pgurl-'));
  });
  afterEach(async () => {
    await reap(run);
    run = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts on SQLite and says it does not use PostgreSQL yet, naming host and database only', async () => {
    const port = await freePort();
    run = runBackend({
      FP_PORT: String(port),
      FP_HOST: '127.0.0.1',
      FP_DATA_DIR: dir,
      FP_DATABASE_URL: 'postgres://fp:s3cret@db.example:5432/failureprophet',
    });
    await run.started;
    const warning = run
      .output()
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; postgres?: string })
      .find((l) => l.msg.startsWith('store.url'));
    expect(warning).toMatchObject({
      level: 40,
      postgres: 'db.example:5432/failureprophet',
      msg: `store.url (FP_DATABASE_URL) is set, but this version keeps all its state in SQLite in ${dir} and does not use PostgreSQL: the PostgreSQL store is a preview for the healing side (README, "PostgreSQL (preview)"); run ONE replica`,
    });
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
