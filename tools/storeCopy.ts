/**
 * npm run store:copy -- --from <dataDir> [--to postgres://...]: copies the SQLite store of a data
 * dir into an empty PostgreSQL database (src/server/store/copy). Built into the backend's image as
 * dist-server/storeCopy.mjs. The URL is best given as FP_DATABASE_URL (from the Secret the replicas
 * read), so the password is not on a command line; it is never printed.
 */
import { parseArgs } from 'node:util';
import { messageOf } from '../src/utils/messageOf';
import { copyStore } from '../src/server/store/copy/copy';

const USAGE = 'usage: store:copy --from <dataDir> [--to postgres://user:password@host:5432/database]';

async function main(): Promise<number> {
  let values: { from?: string; to?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { from: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${messageOf(err)}\n${USAGE}\n`);
    return 2;
  }
  const from = values.from ?? process.env.FP_DATA_DIR;
  const to = values.to ?? process.env.FP_DATABASE_URL;
  if (values.help || !from || !to) {
    process.stderr.write(
      `${USAGE}\n--from defaults to FP_DATA_DIR, --to to FP_DATABASE_URL. Stop the backend on the data dir first.\n`
    );
    return values.help ? 0 : 2;
  }
  try {
    const report = await copyStore({ from, to, log: (line) => process.stdout.write(`${line}\n`) });
    for (const s of report.skipped) {
      process.stdout.write(`left out: ${s.table} row ${s.rowid}: ${s.reason}\n`);
    }
    for (const note of report.secrets) {
      process.stdout.write(`${note}\n`);
    }
    const rows = report.tables.reduce((n, t) => n + t.rows, 0);
    process.stdout.write(`copied ${rows} rows: start the backend with FP_DATABASE_URL set to this database\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`store:copy: ${messageOf(err)}\n`);
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
