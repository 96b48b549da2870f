import { Worker, type ResourceLimits } from 'node:worker_threads';
import { type Clock, systemClock } from '../../clock';
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
  /** Worker threads at most; each reads one page at a time, and starts when a page finds no idle one. */
  workers: number;
  /** Pages waiting for a worker beyond which a request is refused at once (ListQueueFull). */
  maxQueued: number;
  /** A worker that has read nothing for this long is stopped (its isolate and SQLite cache given back). */
  idleMs: number;
  /** The V8 heap of each worker; past it the worker stops and its page is answered 503 (ListWorkerStopped). */
  resourceLimits?: ResourceLimits;
  /** What idle workers are stopped on: the server's clock (tests run its timers without real time). */
  clock?: Pick<Clock, 'after'>;
  /** Told when a worker stopped on a fault (not when idle); its page, if any, was answered 503. */
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
  reading?: Pending;
  /** Cancels the timer that stops this worker if it stays idle. */
  idle?: () => void;
  /** Why the pool itself stopped this worker (idle, out of step); a fault otherwise. */
  stoppedBecause?: string;
}

// tsx's CommonJS hook, then the worker's source: how a worker runs TypeScript (tests, `tsx src/server/main.ts`).
const TYPESCRIPT_BOOTSTRAP =
  "require('tsx/cjs/api').register(); require(require('node:worker_threads').workerData.script);";

const IDLE = 'idle';

/**
 * List pages read on worker threads, so a page's SQLite read and JSON never hold the main event loop
 * (nor /healthz behind it). A worker costs a V8 isolate (tens of MB of RSS), so none runs until a page
 * needs one, a second starts only when a page finds the first busy, and one that has read nothing for
 * `idleMs` is stopped: a backend nobody lists from holds no worker. Pages wait in a bounded queue for
 * a free worker; past `maxQueued` the request is refused at once, which costs the main loop almost
 * nothing. A worker that stops (an uncaught error, a native crash, its heap limit) fails only the page
 * it was reading, with ListWorkerStopped; the next page starts another. A page whose read throws (a
 * stored row that does not fit) rejects with that error's name and message; the worker keeps serving.
 */
export class ListWorkers {
  private readonly slots: Array<Slot | undefined>;
  private readonly queue: Pending[] = [];
  private readonly clock: Pick<Clock, 'after'>;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: ListWorkersOptions) {
    this.slots = Array.from({ length: Math.max(1, options.workers) }, () => undefined);
    this.clock = options.clock ?? systemClock;
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

  /** Workers running now (reading or idle). */
  get running(): number {
    return this.slots.filter((slot) => slot !== undefined).length;
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
    await Promise.all(
      this.slots.map((slot) => {
        slot?.idle?.();
        return slot?.worker.terminate();
      })
    );
  }

  /**
   * Hands the page to an idle worker, or else starts one in an empty slot; false when all are reading.
   * A running idle worker comes first, so a second isolate starts only for pages that overlap.
   */
  private dispatch(pending: Pending): boolean {
    let index = this.slots.findIndex((slot) => slot !== undefined && slot.reading === undefined);
    if (index < 0) {
      index = this.slots.indexOf(undefined);
    }
    if (index < 0) {
      return false;
    }
    const slot = this.slots[index] ?? this.start(index);
    slot.idle?.();
    slot.idle = undefined;
    slot.reading = pending;
    slot.worker.postMessage(pending.job);
    return true;
  }

  private start(index: number): Slot {
    const { script, database, resourceLimits } = this.options;
    const worker = script.typescript
      ? new Worker(TYPESCRIPT_BOOTSTRAP, { eval: true, workerData: { database, script: script.file }, resourceLimits })
      : new Worker(script.file, { workerData: { database }, resourceLimits });
    const slot: Slot = { worker };
    this.slots[index] = slot;
    let failure: Error | undefined;
    worker.on('message', (raw: unknown) => this.answered(slot, raw));
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => {
      slot.idle?.();
      // An idle worker left its slot when it was told to stop; another may hold the slot by now.
      if (this.slots[index] === slot) {
        this.slots[index] = undefined;
      }
      if (slot.stoppedBecause === IDLE) {
        return;
      }
      const why = this.closed
        ? 'the server is closing'
        : (slot.stoppedBecause ?? (failure ? `${failure.name}: ${failure.message}` : `exit code ${code}`));
      slot.reading?.reject(new ListWorkerStopped(why));
      slot.reading = undefined;
      if (this.closed) {
        return;
      }
      this.options.onStopped?.(why);
      this.next();
    });
    return slot;
  }

  private answered(slot: Slot, raw: unknown): void {
    const reply = workerReplySchema.safeParse(raw);
    const pending = slot.reading;
    if (!reply.success || pending === undefined || reply.data.id !== pending.job.id) {
      // Out of step with its worker: the page cannot be trusted; the exit handler answers it, the next page starts a worker.
      slot.stoppedBecause = 'it answered out of step';
      void slot.worker.terminate();
      return;
    }
    slot.reading = undefined;
    const r = reply.data;
    if ('error' in r) {
      const err = new Error(r.error.message);
      err.name = r.error.name;
      pending.reject(err);
    } else {
      pending.resolve({ status: r.status, body: r.body });
    }
    this.next();
    if (slot.reading === undefined && !this.closed) {
      // Unref'd: an idle worker's stop must not keep the process alive.
      slot.idle = this.clock.after(this.options.idleMs, () => this.retire(slot), { unref: true });
    }
  }

  /** Stops a worker that stayed idle; its slot is free at once, so a page asked meanwhile starts a new one. */
  private retire(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0 || slot.reading !== undefined) {
      return;
    }
    this.slots[index] = undefined;
    slot.stoppedBecause = IDLE;
    void slot.worker.terminate();
  }

  private next(): void {
    const pending = this.queue.shift();
    if (pending !== undefined && !this.dispatch(pending)) {
      this.queue.unshift(pending);
    }
  }
}
