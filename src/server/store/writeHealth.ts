import { statSync, type Stats } from 'node:fs';
import type Database from 'better-sqlite3';
import { Gauge, type Registry } from 'prom-client';
import { codeOf, messageOf } from '../../utils/messageOf';

/**
 * SQLite's result codes (and their extended codes, `SQLITE_IOERR_WRITE`...) for a database it cannot
 * write: the disk is full (SQLite's own code for ENOSPC and for `max_page_count`), an I/O error, a
 * read-only file or file system, a file it cannot open or that is damaged. A constraint or a busy
 * lock is not among them: those are about the write, not the disk.
 */
const CANNOT_WRITE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB)(_|$)/;

export const cannotWrite = (err: unknown): boolean => CANNOT_WRITE.test(codeOf(err) ?? '');

/** What `ping` rejects with while the store cannot write; its code is SQLite's, for /readyz's phrase. */
export class StoreNotWritableError extends Error {
  constructor(
    message: string,
    readonly code: string
  ) {
    super(message);
    this.name = 'StoreNotWritableError';
  }
}

export interface WriteHealthLog {
  warn(message: string): void;
  info(message: string): void;
}

interface Mark {
  changes: number;
  pages: number;
}

interface Problem {
  code: string;
  message: string;
}

/**
 * Whether the SQLite store can keep what it is given, as its writes find out: a write refused for
 * want of disk (or of a usable file) sets it, and a write that shows room again clears it, so the
 * backend recovers by itself once space is back. `check` also notices the database file
 * deleted or replaced under the process (SQLite goes on writing to the unlinked file, which is lost
 * at exit). Said once per change of state, never per failed write.
 */
export class StoreWriteHealth {
  private failure: Problem | undefined;
  /** The repository calls refused since the store last wrote what it was refused. */
  private readonly failing = new Set<string>();
  private reported: Problem | undefined;
  private readonly opened: Stats | undefined;
  /** The rows this connection changed, and the database's pages: read before and after a call while failing. */
  private readonly mark: () => Mark;

  constructor(
    db: Database.Database,
    private readonly file: string,
    private readonly log: WriteHealthLog
  ) {
    this.opened = file === ':memory:' ? undefined : statSync(file);
    const changes = db.prepare('SELECT total_changes()').pluck();
    const pages = db.prepare('PRAGMA page_count').pluck();
    this.mark = () => ({ changes: Number(changes.get()), pages: Number(pages.get()) });
  }

  /** Runs one call of a repository (`write`: which one, e.g. `pipeline.commitCycle`), hearing from its result whether the store wrote. */
  watch<R>(write: string, call: () => R): R {
    // Only while failing: a mark costs two statements per call.
    const before = this.failing.size === 0 ? undefined : this.mark();
    try {
      const result = call();
      if (result instanceof Promise) {
        // The same result, once the call's own write is heard of.
        return result.then(
          (value: unknown) => {
            this.succeeded(write, before);
            return value;
          },
          (err: unknown) => {
            this.failed(write, err);
            throw err;
          }
        ) as R;
      }
      this.succeeded(write, before);
      return result;
    } catch (err) {
      this.failed(write, err);
      throw err;
    }
  }

  /** Throws a StoreNotWritableError while the store cannot write (used by `ping`, so by /readyz). */
  check(): void {
    const problem = this.fileProblem() ?? this.failure;
    this.report(problem);
    if (problem) {
      throw new StoreNotWritableError(problem.message, problem.code);
    }
  }

  get writable(): boolean {
    try {
      this.check();
      return true;
    } catch {
      return false;
    }
  }

  private failed(write: string, err: unknown): void {
    if (cannotWrite(err)) {
      this.failing.add(write);
      this.failure = {
        code: codeOf(err) ?? 'SQLITE_IOERR',
        message: `${this.file} cannot be written: ${messageOf(err)}`,
      };
      this.report(this.failure);
    }
  }

  /**
   * The store writes again when a refused call goes through, or when any call grew the database
   * (SQLite found room for new pages). Not on any write: small ones squeeze into room left in pages
   * while a cycle's checkpoint still finds none.
   */
  private succeeded(write: string, before: Mark | undefined): void {
    if (before === undefined) {
      return;
    }
    const after = this.mark();
    if (after.changes > before.changes && (this.failing.has(write) || after.pages > before.pages)) {
      this.failing.clear();
      this.failure = undefined;
      this.report(this.fileProblem());
    }
  }

  private fileProblem(): Problem | undefined {
    if (!this.opened) {
      return undefined;
    }
    let now: Stats;
    try {
      now = statSync(this.file);
    } catch {
      return { code: 'SQLITE_READONLY_DBMOVED', message: `${this.file} was deleted while the backend ran` };
    }
    return now.ino === this.opened.ino && now.dev === this.opened.dev
      ? undefined
      : { code: 'SQLITE_READONLY_DBMOVED', message: `${this.file} was replaced by another file while the backend ran` };
  }

  private report(problem: Problem | undefined): void {
    if (problem?.message === this.reported?.message) {
      return;
    }
    if (problem) {
      const what =
        problem.code === 'SQLITE_READONLY_DBMOVED'
          ? 'what it writes from now on is lost when it stops: put the file back or restore it, then restart the backend'
          : 'the watch loop scores again from its last stored checkpoint and /readyz answers 503 until a write succeeds: free space on the disk or fix it';
      this.log.warn(`the store cannot write: ${problem.message}; ${what}`);
    } else {
      this.log.info(`the store writes again: ${this.file}`);
    }
    this.reported = problem;
  }
}

/**
 * The repository with every call of its methods heard by `health`: an object whose prototype is the
 * repository, with each method in its own property (so a test's spy replaces it as on the repository),
 * calling the repository's own, whose inner calls are not heard twice.
 */
export function watchWrites<T extends object>(name: string, repository: T, health: StoreWriteHealth): T {
  const watched: T = Object.create(repository);
  for (
    let level: object | null = repository;
    level !== null && level !== Object.prototype;
    level = Object.getPrototypeOf(level)
  ) {
    for (const key of Object.getOwnPropertyNames(level)) {
      const value = Object.getOwnPropertyDescriptor(level, key)?.value;
      if (key !== 'constructor' && typeof value === 'function' && !Object.hasOwn(watched, key)) {
        Object.defineProperty(watched, key, {
          value: (...args: unknown[]) => health.watch(`${name}.${key}`, () => Reflect.apply(value, repository, args)),
          writable: true,
          configurable: true,
        });
      }
    }
  }
  return watched;
}

/** `failureprophet_store_writable`: 0 while the store cannot write, so an alert can say it. */
export function registerStoreWritable(registry: Registry, health: Pick<StoreWriteHealth, 'writable'>): void {
  new Gauge({
    name: 'failureprophet_store_writable',
    help: '1 while the SQLite store writes, 0 while the disk (or the file under it) refuses',
    registers: [registry],
    collect() {
      this.set(health.writable ? 1 : 0);
    },
  });
}
