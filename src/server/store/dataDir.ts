import { accessSync, constants, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { codeOf } from '../../utils/messageOf';

/**
 * Why the data directory cannot be used, found before Node would hang in mkdir: `code` as Node's
 * errors carry it, so start-up says it in words.
 */
export class DataDirError extends Error {
  constructor(
    message: string,
    readonly code: 'EPSEUDOFS' | 'ENOTDIR'
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

/**
 * The kernel's views (statfs' f_type, linux/magic.h), which hold no files: Node's recursive mkdir
 * under /proc loops for ever on the ENOENT it gets.
 */
const KERNEL_VIEWS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
]);

/**
 * Makes `dataDir` (absolute) if it is missing, mode 0700, after checking that it can hold files:
 * the nearest existing part of the path is a directory, not on the kernel's views, and writable.
 * Throws Node's error (EACCES, EROFS, ENOTDIR...) or a DataDirError; never hangs.
 */
export function prepareDataDir(dataDir: string): void {
  let existing = dataDir;
  for (;;) {
    try {
      if (!statSync(existing).isDirectory()) {
        throw new DataDirError(`${existing} is a file, not a directory`, 'ENOTDIR');
      }
      break;
    } catch (err) {
      if (codeOf(err) !== 'ENOENT' || dirname(existing) === existing) {
        throw err;
      }
      existing = dirname(existing);
    }
  }
  const view = KERNEL_VIEWS.get(statfsSync(existing).type);
  if (view !== undefined) {
    throw new DataDirError(
      `${existing} is on ${view}, the kernel's view of the system, which keeps no files`,
      'EPSEUDOFS'
    );
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  accessSync(dataDir, constants.W_OK);
}
