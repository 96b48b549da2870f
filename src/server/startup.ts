import { codeOf, messageOf } from '../utils/messageOf';
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

/** Why the data directory (and the SQLite store in it) cannot be used, in words. */
export function dataDirFailure(err: unknown, dataDir: string): StartupFailure {
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'part of the path is a file, not a directory',
    EEXIST: 'a file of that name is in the way',
    ENOSPC: 'the disk is full',
    SQLITE_CANTOPEN: 'its database file cannot be opened',
    SQLITE_READONLY: 'its database file is read-only',
    SQLITE_NOTADB: 'its database file is not a SQLite database',
  };
  const reason = why[codeOf(err) ?? ''] ?? messageOf(err);
  return new StartupFailure(
    `cannot use the data directory ${dataDir}: ${reason}; set FP_DATA_DIR to a directory the backend can write`
  );
}
