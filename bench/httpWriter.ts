/**
 * Another process committing to the backend's SQLite file while the http bench loads it: one row into a
 * table of the bench's own every `everyMs`, so every list worker's data_version moves and no page is
 * answered from a worker's page cache for long (as after each watch cycle's commit, only far more often).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

// Run by `node -e` in the repository (so better-sqlite3 resolves): argv is [node, file, everyMs].
const WRITER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1], { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS bench_writes (at INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO bench_writes (at) VALUES (?)');
let commits = 0;
const timer = setInterval(() => { insert.run(Date.now()); commits++; }, Number(process.argv[2]));
process.on('SIGTERM', () => { clearInterval(timer); db.close(); process.stdout.write(String(commits)); process.exit(0); });
process.stdout.write('ready\\n');
`;

export interface Writer {
  /** Stops the writer; resolves to the commits it made. */
  stop(): Promise<number>;
}

/** Starts the writer; resolves once it is committing. */
export function startWriter(database: string, everyMs: number): Promise<Writer> {
  const child = spawn(process.execPath, ['-e', WRITER, database, String(everyMs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const writer: Writer = {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      await exited;
      return Number(out.replace('ready\n', ''));
    },
  };
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready\n')) {
        resolve(writer);
      }
    });
    void exited.then(() => reject(new Error(`the bench's writer exited before it was ready (${out})`)));
  });
}
