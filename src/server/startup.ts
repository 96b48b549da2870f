import { isAbsolute, join } from 'node:path';
import { codeOf, messageOf } from '../utils/messageOf';
import { DataDirError } from './store/dataDir';
import { DATABASE_FILE } from './store/sqlite';
/**
 * A start-up failure in one sentence an operator can act on (no stack trace): the port is taken,
 * the data directory cannot be used, the configuration is wrong.
 */
export class StartupFailure extends Error {
  constructor(
    message: string,
    /** The process exit code: 2 for a configuration to fix, 1 for the environment. */
    readonly exitCode: 1 | 2 = 1
  ) {
    super(message);
    this.name = 'StartupFailure';
  }
}

/** Why listening failed, in words. */
export function listenFailure(err: unknown, host: string, port: number): StartupFailure {
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return new StartupFailure(
        `port ${port} on ${host} is already in use by another process: stop that process or set FP_PORT to a free port`
      );
    case 'EACCES':
      return new StartupFailure(
        `not allowed to listen on port ${port}: ports below 1024 need privileges; set FP_PORT to 1024 or above`
      );
    case 'EADDRNOTAVAIL':
      return new StartupFailure(`cannot listen on ${host}: no network interface has that address; check FP_HOST`);
    default:
      return new StartupFailure(`cannot listen on ${host}:${port}: ${messageOf(err)}`);
  }
}

/**
 * Why the data directory (and the SQLite store in it) cannot be used, in words, naming the path and
 * what to do. `configured` is FP_DATA_DIR as given, when it was relative to the working directory.
 */
export function dataDirFailure(err: unknown, dataDir: string, configured: string = dataDir): StartupFailure {
  const code = codeOf(err) ?? '';
  const file = join(dataDir, DATABASE_FILE);
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return new StartupFailure(
      `cannot use the database: ${file} is damaged or not a SQLite database (${messageOf(err)}). It was left as it is: restore it from a backup, or move it and its -wal and -shm files aside (mv ${file} ${file}.damaged) to start with an empty store`
    );
  }
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'part of the path is a file, not a directory',
    EEXIST: 'a file of that name is in the way',
    EISDIR: 'a directory is where one of its files should be',
    ENOSPC: 'the disk is full',
    SQLITE_CANTOPEN: `its database file ${file} cannot be opened`,
    SQLITE_READONLY: `its database file ${file} is read-only`,
    SQLITE_FULL: `the disk is full: SQLite cannot write ${file}`,
  };
  const reason =
    err instanceof DataDirError ? err.message : (why[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')] ?? messageOf(err));
  const relative = isAbsolute(configured)
    ? ''
    : ` (FP_DATA_DIR ${configured}, relative to the working directory ${process.cwd()})`;
  return new StartupFailure(
    `cannot use the data directory ${dataDir}${relative}: ${reason}; set FP_DATA_DIR to an absolute path of a directory the backend can write`
  );
}
