import { Worker } from 'node:worker_threads';
import { workerReplySchema, type Job } from './messages';
import type { ListAnswer, ListRoute } from './readers';

/** How a worker is started: a built script (`listWorker.mjs`), or the TypeScript source run through tsx. */
export interface WorkerScript {
  file: string;
  typescript: boolean;
}

export interface ListWorkersOptions {
  script: WorkerScript;
  /** The SQLite file the workers read (each opens its own read-only connection). */
  database: string;
  /** Worker threads; each reads one page at a time. */
  workers: number;
  /** Pages waiting for a worker beyond which a request is refused at once (ListQueueFull). */
  maxQueued: number;
  /** Told when a worker stopped and will be replaced (its page, if any, was answered 503). */
  onStopped?: (why: string) => void;
}

/** The queue of pages waiting for a worker is full: the caller answers 503 + Retry-After. */
export class ListQueueFull extends Error {
  constructor(queued: number) {
    super(`the backend is busy (${queued} list pages waiting); retry shortly`);
    this.name = 'ListQueueFull';
  }
}

/** The worker reading this page stopped (crashed, or the server is closing); the page may be asked again. */
export class ListWorkerStopped extends Error {
  constructor(why: string) {
    super(`the list reader stopped (${why}); retry shortly`);
    this.name = 'ListWorkerStopped';
  }
}

interface Pending {
  job: Job;
  resolve: (answer: ListAnswer) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Resolves when the worker has opened the database; rejects if it stops first. */
  ready: Promise<void>;
  isReady?: boolean;
  reading?: Pending;
  /** Why the pool itself stopped this worker. */
  stoppedBecause?: string;
}

// tsx's CommonJS hook, then the worker's source: how a worker runs TypeScript (tests, `tsx src/server/main.ts`).
const TYPESCRIPT_BOOTSTRAP =
  "require('tsx/cjs/api').register(); require(require('node:worker_threads').workerData.script);";

/**
 * List pages read on worker threads, so a page's SQLite read and JSON never hold the main event loop
 * (nor /healthz behind it). Pages wait in a bounded queue for a free worker; past `maxQueued` the
 * request is refused at once, which costs the main loop almost nothing. A worker that stops (an
 * uncaught error, a native crash, OOM) fails only the page it was reading, with ListWorkerStopped,
 * and is replaced at once (one that stopped before it was ready, when the next page needs it, so a
 * database that cannot be opened does not start workers in a loop). A page whose read throws (a stored row that does not
 * fit) rejects with that error's name and message; the worker keeps serving.
 */
export class ListWorkers {
  private readonly slots: Array<Slot | undefined>;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  /** Starts every worker now, so the first pages do not wait for one to load. */
  constructor(private readonly options: ListWorkersOptions) {
    this.slots = Array.from({ length: Math.max(1, options.workers) }, () => undefined);
    this.slots.forEach((_slot, index) => this.start(index));
  }

  /** Resolves when every worker has opened the database; rejects with why one could not. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot?.ready));
  }

  /** The page of `route` for the raw query string (what follows `?`). */
  read(route: ListRoute, query: string): Promise<ListAnswer> {
    if (this.closed) {
      return Promise.reject(new ListWorkerStopped('the server is closing'));
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { job: { id: this.nextId++, route, query }, resolve, reject };
      if (this.dispatch(pending)) {
        return;
      }
      if (this.queue.length >= this.options.maxQueued) {
        reject(new ListQueueFull(this.queue.length));
        return;
      }
      this.queue.push(pending);
    });
  }

  /** Pages waiting for a worker now. */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether a page asked now would be refused with ListQueueFull. */
  get full(): boolean {
    return this.queue.length >= this.options.maxQueued && this.slots.every((slot) => slot?.reading !== undefined);
  }

  /** Stops every worker; pages not yet answered are refused with ListWorkerStopped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) {
      pending.reject(new ListWorkerStopped('the server is closing'));
    }
    await Promise.all(this.slots.map((slot) => slot?.worker.terminate()));
  }

  /** Hands the page to an idle worker (starting one in an empty slot); false when all are reading. */
  private dispatch(pending: Pending): boolean {
    const index = this.slots.findIndex((slot) => slot === undefined || slot.reading === undefined);
    if (index < 0) {
      return false;
    }
    const slot = this.slots[index] ?? this.start(index);
    slot.reading = pending;
    slot.worker.postMessage(pending.job);
    return true;
  }

  private start(index: number): Slot {
    const { script, database } = this.options;
    const worker = script.typescript
      ? new Worker(TYPESCRIPT_BOOTSTRAP, { eval: true, workerData: { database, script: script.file } })
      : new Worker(script.file, { workerData: { database } });
    let started!: () => void;
    let failed!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    // A worker that stops before it is ready rejects `ready`; whoever awaits it hears why, others need not.
    ready.catch(() => undefined);
    const slot: Slot = { worker, ready };
    this.slots[index] = slot;
    let failure: Error | undefined;
    worker.on('message', (raw: unknown) =>
      this.answered(slot, raw, () => {
        slot.isReady = true;
        started();
      })
    );
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => {
      this.slots[index] = undefined;
      const why = this.closed
        ? 'the server is closing'
        : (slot.stoppedBecause ?? (failure ? `${failure.name}: ${failure.message}` : `exit code ${code}`));
      failed(new ListWorkerStopped(why));
      slot.reading?.reject(new ListWorkerStopped(why));
      slot.reading = undefined;
      if (this.closed) {
        return;
      }
      this.options.onStopped?.(why);
      if (slot.isReady) {
        this.start(index);
      }
      this.next();
    });
    return slot;
  }

  private answered(slot: Slot, raw: unknown, started: () => void): void {
    const reply = workerReplySchema.safeParse(raw);
    if (reply.success && 'ready' in reply.data) {
      started();
      return;
    }
    const pending = slot.reading;
    const r = reply.success && !('ready' in reply.data) ? reply.data : undefined;
    if (r === undefined || pending === undefined || r.id !== pending.job.id) {
      // Out of step with its worker: the page cannot be trusted; the exit handler answers it and replaces the worker.
      slot.stoppedBecause = 'it answered out of step';
      void slot.worker.terminate();
      return;
    }
    slot.reading = undefined;
    if ('error' in r) {
      const err = new Error(r.error.message);
      err.name = r.error.name;
      pending.reject(err);
    } else {
      pending.resolve({ status: r.status, body: r.body });
    }
    this.next();
  }

  private next(): void {
    const pending = this.queue.shift();
    if (pending !== undefined && !this.dispatch(pending)) {
      this.queue.unshift(pending);
    }
  }
}
