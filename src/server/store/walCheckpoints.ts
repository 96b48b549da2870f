import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { messageOf } from '../../utils/messageOf';

/**
 * SQLite's own automatic checkpoint (at 1,000 WAL pages) runs inside the COMMIT that crosses it: the
 * WAL copied into the database file and both fsynced, on the event loop. A learned cycle of 10,000
 * targets writes about 1,300 pages, so every cycle paid it (about half of its COMMIT's CPU and most
 * of its wall time). With a checkpointer, the writer's automatic checkpoint waits for this many pages
 * instead: a backstop should the worker fall behind, while the worker keeps the WAL far below it.
 */
export const BACKSTOP_PAGES = 10_000;
/** SQLite's default `wal_autocheckpoint`, given back when the worker stops. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

/**
 * The worker: its own connection, one PASSIVE checkpoint a message (SQLite lets a checkpoint run beside
 * the writer in WAL mode: it copies what was committed before it began and never waits for a lock).
 * Eval'd (no bundle entry of its own), so the driver comes as a path the main thread resolved.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('cache_size = -256');
parentPort.on('message', () => {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage(row);
});
`;

/**
 * The worker holds a connection and one handler: a small heap, and a small page cache (a checkpoint
 * copies WAL frames into the file without going through it), so it adds little to the process's memory.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 };

/** What a checkpoint did: SQLite's `busy` (0 or 1), the WAL's pages, and the pages now in the database file. */
const checkpointSchema = z.object({ busy: z.number(), log: z.number(), checkpointed: z.number() });
export type Checkpoint = z.infer<typeof checkpointSchema>;

interface Asker {
  resolve: (c: Checkpoint) => void;
  reject: (err: Error) => void;
}

/** The driver as this process resolves it: from the entry point's folder, else the working directory. */
function driverPath(): string {
  for (const from of [process.argv[1], join(process.cwd(), 'index.js')]) {
    try {
      return createRequire(from).resolve('better-sqlite3');
    } catch {
      // Not resolvable from there: the next place.
    }
  }
  return 'better-sqlite3';
}

/**
 * Writes the WAL of `db` back into its file on a worker thread, when asked (after each cycle's
 * commit). Asked while it runs, it runs once more after. If the worker stops, the writer's automatic
 * checkpoint is given back its default and `onStopped` says why.
 */
export class WalCheckpoints {
  private readonly worker: Worker;
  private running: Asker[] | undefined;
  private waiting: Asker[] = [];
  private stopped: Error | undefined;

  constructor(
    private readonly db: Database.Database,
    file: string,
    private readonly onStopped: (why: string) => void = () => {},
    driver: string = driverPath()
  ) {
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, driver }, resourceLimits: WORKER_LIMITS });
    this.worker.unref();
    this.worker.on('message', (raw: unknown) => {
      const checkpoint = checkpointSchema.safeParse(raw);
      if (checkpoint.success) {
        this.done(checkpoint.data);
      } else {
        this.stop(new Error(`the WAL checkpointer answered ${JSON.stringify(raw)}`));
        void this.worker.terminate();
      }
    });
    this.worker.on('error', (err) => this.stop(err));
    this.worker.on('exit', (code) => this.stop(new Error(`the WAL checkpointer exited (code ${code})`)));
  }

  /** Checkpoints what is committed now; resolves to what that checkpoint did (rejects once the worker stopped). */
  request(): Promise<Checkpoint> {
    if (this.stopped) {
      return Promise.reject(this.stopped);
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.next();
    });
  }

  /** A transaction committed: checkpoint it. A stopped worker was reported once (onStopped), not at every commit. */
  committed(): void {
    this.request().catch(() => {});
  }

  /** Stops the worker (before the database closes: its last connection writes the WAL back itself). */
  async close(): Promise<void> {
    this.stop(new Error('the store is closing'), false);
    await this.worker.terminate();
  }

  private next(): void {
    if (this.running || this.waiting.length === 0) {
      return;
    }
    this.running = this.waiting;
    this.waiting = [];
    this.worker.postMessage(null);
  }

  private done(checkpoint: Checkpoint): void {
    const answered = this.running ?? [];
    this.running = undefined;
    answered.forEach((asker) => asker.resolve(checkpoint));
    this.next();
  }

  /** `fault`: the worker stopped on its own (a closing store is no fault to report). */
  private stop(err: Error, fault = true): void {
    if (this.stopped) {
      return;
    }
    this.stopped = err;
    for (const asker of [...(this.running ?? []), ...this.waiting]) {
      asker.reject(err);
    }
    this.running = undefined;
    this.waiting = [];
    if (fault && this.db.open) {
      this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    }
    if (fault) {
      this.onStopped(messageOf(err));
    }
  }
}
