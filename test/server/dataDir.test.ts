import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { dataDirFailure } from '../../src/server/startup';
import { prepareDataDir } from '../../src/server/store/dataDir';
import { DATABASE_FILE, openSqliteStore } from '../../src/server/store/sqlite';
import { reap, runBackend, type BackendRun } from '../harness/backend';

// A data dir an operator got wrong, or a database file damaged before the backend starts: one
// sentence naming the path and what to do, at once, and the old file kept as it was.

/** What openSqliteStore's failure says at start, as main words it. */
function failureOf(dataDir: string, configured = dataDir): string {
  try {
    openSqliteStore(dataDir).close();
  } catch (err) {
    return dataDirFailure(err, dataDir, configured).message;
  }
  throw new Error(`${dataDir} opened`);
}

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('a data dir that cannot be used', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-datadir-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a path under /proc or /sys at once (Node’s own recursive mkdir loops for ever under /proc)', () => {
    for (const [path, view] of [
      ['/proc/fp-data/db', 'proc'],
      ['/sys/fs/fp-data', 'sysfs'],
    ]) {
      const started = performance.now();
      expect(() => prepareDataDir(path)).toThrow(
        `is on ${view}, the kernel's view of the system, which keeps no files`
      );
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect(failureOf('/proc/fp-data')).toBe(
      "cannot use the data directory /proc/fp-data: /proc is on proc, the kernel's view of the system, which keeps no files; set FP_DATA_DIR to an absolute path of a directory the backend can write"
    );
  });

  it('says the data dir is a file', () => {
    const file = join(dir, 'data');
    writeFileSync(file, 'not a directory');
    expect(failureOf(file)).toBe(
      `cannot use the data directory ${file}: ${file} is a file, not a directory; set FP_DATA_DIR to an absolute path of a directory the backend can write`
    );
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('says a relative data dir was taken from the working directory', () => {
    const file = join(dir, 'data');
    writeFileSync(file, '');
    const configured = relative(process.cwd(), file);
    expect(failureOf(file, configured)).toBe(
      `cannot use the data directory ${file} (FP_DATA_DIR ${configured}, relative to the working directory ${process.cwd()}): ${file} is a file, not a directory; set FP_DATA_DIR to an absolute path of a directory the backend can write`
    );
  });
});

describe('a database file damaged before the backend starts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-damaged-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const advice = (file: string) =>
    `It was left as it is: restore it from a backup, or move it and its -wal and -shm files aside (mv ${file} ${file}.damaged) to start with an empty store`;

  it('names a file of garbage bytes and keeps it, start after start', () => {
    const file = join(dir, DATABASE_FILE);
    writeFileSync(file, Buffer.alloc(8192, 7));
    const before = digest(file);
    for (let start = 0; start < 2; start++) {
      expect(failureOf(dir)).toBe(
        `cannot use the database: ${file} is damaged or not a SQLite database (file is not a database). ${advice(file)}`
      );
    }
    expect(digest(file)).toBe(before);
  });

  it('names a file cut off short of what its header says (SQLite refuses it at open) and keeps it', async () => {
    const store = openSqliteStore(dir);
    for (let i = 0; i < 50; i++) {
      await store.healing.audit.append({ at: i, kind: 'trigger_opened', message: `${i} ${'x'.repeat(4000)}` });
    }
    await store.close();
    const file = join(dir, DATABASE_FILE);
    const size = statSync(file).size;
    truncateSync(file, size - 8192);
    const before = digest(file);
    expect(failureOf(dir)).toBe(
      `cannot use the database: ${file} is damaged or not a SQLite database (database disk image is malformed). ${advice(file)}`
    );
    expect(digest(file)).toBe(before);
  });
});

describe('the backend process given a data dir it cannot use', () => {
  let run: BackendRun | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-start-'));
  });
  afterEach(async () => {
    await reap(run);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends with one sentence on stderr instead of hanging in mkdir', async () => {
    run = runBackend({ FP_PORT: '3999', FP_HOST: '127.0.0.1', FP_DATA_DIR: '/proc/fp-data', FP_LOG_LEVEL: 'error' });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toBe(
      "failureprophet: cannot use the data directory /proc/fp-data: /proc is on proc, the kernel's view of the system, which keeps no files; set FP_DATA_DIR to an absolute path of a directory the backend can write\n"
    );
  }, 60_000);

  it('ends with one sentence on stderr, not a stack trace, when a token file cannot be kept', async () => {
    mkdirSync(join(dir, 'api-token'));
    run = runBackend({ FP_PORT: '3999', FP_HOST: '127.0.0.1', FP_DATA_DIR: dir, FP_LOG_LEVEL: 'error' });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toBe(
      `failureprophet: cannot use the data directory ${dir}: a directory is where one of its files should be; set FP_DATA_DIR to an absolute path of a directory the backend can write\n`
    );
  }, 60_000);
});
