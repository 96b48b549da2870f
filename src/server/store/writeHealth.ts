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

/** /readyz's phrase for a SQLite result code: SQLITE_READONLY_DBMOVED is "readonly dbmoved". */
export const sqliteReason = (code: string): string => code.slice('SQLITE_'.length).toLowerCase().replace(/_/g, ' ');

/** Why the store cannot write, in its three audiences' words. */
export interface Refusal {
  /** The driver's code: SQLite's result code, PostgreSQL's SQLSTATE (or the system's, for a refused connection). */
  code: string;
  /** A fixed phrase for the public /readyz ("full", "read only"): never a path, a host or the server's text. */
  reason: string;
  /** For the log: what refuses, and how. */
  message: string;
  /** For the log: what the backend does meanwhile, and what mends it. */
  advice: string;
}

/** What `check` throws while the store cannot write. */
export class StoreNotWritableError extends Error {
  readonly code: string;
  readonly reason: string;

  constructor(refusal: Refusal) {
    super(refusal.message);
    this.name = 'StoreNotWritableError';
    this.code = refusal.code;
    this.reason = refusal.reason;
  }
}

export interface WriteHealthLog {
  warn(message: string): void;
  info(message: string): void;
}

/** For a store opened without a log (tests, tools). */
export const UNHEARD: WriteHealthLog = { warn: () => undefined, info: () => undefined };

/** How one kind of store tells that it cannot write, and that it writes again. */
export interface WriteProbe<M> {
  /** What the log names: the file, or PostgreSQL's host:port/database. */
  where: string;
  /** The refusal a failed call's error is; undefined for any other error (a constraint, a bug). */
  refusal(err: unknown): Refusal | undefined;
  /** A refusal found without a write (SQLite's file deleted under it); undefined when none. */
  standing(): Refusal | undefined;
  /** Read before and after a call while failing. */
  mark(): M;
  /** Whether a call that went through shows the store writes again; `refused`: that call was refused before. */
  writesAgain(before: M, after: M, refused: boolean): boolean;
}

/** What the backend does while a store cannot write: the first half of every refusal's advice. */
export const WRITE_REFUSAL_ADVICE =
  'the watch loop scores again from its last stored checkpoint and /readyz says it until a write succeeds';

/**
 * SQLite: a write refused for want of disk (or of a usable file) sets it, and a write that shows room
 * again clears it: a refused call that goes through, or any call that grew the database (SQLite found
 * room for new pages). Not any write: small ones squeeze into room left in pages while a cycle's
 * checkpoint still finds none. The database file deleted or replaced under the process is a
 * refusal too (SQLite goes on writing to the unlinked file, which is lost at exit).
 */
export function sqliteWriteProbe(db: Database.Database, file: string): WriteProbe<{ changes: number; pages: number }> {
  const opened = file === ':memory:' ? undefined : statSync(file);
  const changes = db.prepare('SELECT total_changes()').pluck();
  const pages = db.prepare('PRAGMA page_count').pluck();
  const dbMoved = 'SQLITE_READONLY_DBMOVED';
  const moved = (how: string): Refusal => ({
    code: dbMoved,
    reason: sqliteReason(dbMoved),
    message: `${file} was ${how} while the backend ran`,
    advice:
      'what it writes from now on is lost when it stops: put the file back or restore it, then restart the backend',
  });
  return {
    where: file,
    refusal: (err) =>
      cannotWrite(err)
        ? {
            code: codeOf(err) ?? 'SQLITE_IOERR',
            reason: sqliteReason(codeOf(err) ?? 'SQLITE_IOERR'),
            message: `${file} cannot be written: ${messageOf(err)}`,
            advice: `${WRITE_REFUSAL_ADVICE}: free space on the disk or fix it`,
          }
        : undefined,
    standing: () => {
      if (!opened) {
        return undefined;
      }
      let now: Stats;
      try {
        now = statSync(file);
      } catch {
        return moved('deleted');
      }
      return now.ino === opened.ino && now.dev === opened.dev ? undefined : moved('replaced by another file');
    },
    mark: () => ({ changes: Number(changes.get()), pages: Number(pages.get()) }),
    writesAgain: (before, after, refused) => after.changes > before.changes && (refused || after.pages > before.pages),
  };
}

/**
 * Whether the store can keep what it is given, as its calls find out (the probe says how for each kind
 * of store): a refused call sets it, one that shows the store writes again clears it, so the backend
 * recovers by itself once the cause is mended. Said once per change of state, never per failed call.
 */
export class StoreWriteHealth<M = unknown> {
  private failure: Refusal | undefined;
  /** The repository calls refused since the store last wrote what it was refused. */
  private readonly failing = new Set<string>();
  private reported: Refusal | undefined;

  constructor(
    private readonly probe: WriteProbe<M>,
    private readonly log: WriteHealthLog
  ) {}

  /** Runs one call of a repository (`write`: which one, e.g. `pipeline.commitCycle`), hearing from its result whether the store wrote. */
  watch<R>(write: string, call: () => R): R {
    // Only while failing: a mark may cost statements per call.
    const before = this.failing.size > 0 ? { mark: this.probe.mark() } : undefined;
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

  /** Throws a StoreNotWritableError while the store cannot write (/readyz's storeWrites check). */
  check(): void {
    const problem = this.probe.standing() ?? this.failure;
    this.report(problem);
    if (problem) {
      throw new StoreNotWritableError(problem);
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
    const refusal = this.probe.refusal(err);
    if (refusal) {
      this.failing.add(write);
      this.failure = refusal;
      this.report(refusal);
    }
  }

  private succeeded(write: string, before: { mark: M } | undefined): void {
    if (before && this.probe.writesAgain(before.mark, this.probe.mark(), this.failing.has(write))) {
      this.failing.clear();
      this.failure = undefined;
      this.report(this.probe.standing());
    }
  }

  private report(problem: Refusal | undefined): void {
    if (problem?.message === this.reported?.message) {
      return;
    }
    if (problem) {
      this.log.warn(`the store cannot write: ${problem.message}; ${problem.advice}`);
    } else {
      this.log.info(`the store writes again: ${this.probe.where}`);
    }
    this.reported = problem;
  }
}

/**
 * The repository with every call of its methods heard by `health`: an object whose prototype is the
 * repository, with each method in its own property (so a test's spy replaces it as on the repository),
 * calling the repository's own, whose inner calls are not heard twice.
 */
export function watchWrites<T extends object>(name: string, repository: T, health: Pick<StoreWriteHealth, 'watch'>): T {
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
    help: '1 while the store writes, 0 while it refuses (a full disk, a read-only database, a lost server)',
    registers: [registry],
    collect() {
      this.set(health.writable ? 1 : 0);
    },
  });
}
