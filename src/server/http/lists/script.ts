import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { basename, dirname, join } from 'node:path';
import type { WorkerScript } from './pool';

/** The bundle of worker.ts beside the backend's bundle (scripts/build-server.mjs). */
export const LIST_WORKER_BUNDLE = 'listWorker.mjs';

/**
 * The list worker for the running entry point (`process.argv[1]`): beside the bundle
 * (`dist-server/main.mjs`, as `npm start` and the container run it), or the TypeScript source when
 * `src/server/main.ts` runs under tsx (the tests' backend processes).
 */
export function listWorkerScript(entry: string): WorkerScript {
  return basename(entry).endsWith('.mjs')
    ? { file: join(dirname(entry), LIST_WORKER_BUNDLE), typescript: false }
    : { file: join(dirname(entry), 'http', 'lists', 'worker.ts'), typescript: true };
}

/**
 * One worker per core, at most four (SQLite readers gain little beyond): they start only when pages
 * overlap (ListWorkers), so a second costs memory only while bursts need it.
 */
export const defaultListWorkers = (): number => Math.min(4, availableParallelism());

/**
 * The default of server.listQueue (FP_LIST_QUEUE): pages waiting for a worker before a list request is
 * refused. A client that sends 500 req/s over 50 connections has at most 50 pages in flight (autocannon's
 * rate limiter sends each connection's share of a second back to back when the second starts), which the
 * last round's 32 refused a third of; 64 holds such a burst, and at about 1 ms of a worker's CPU per
 * default page it is cleared in well under a second. Beyond it, and beyond server.maxConcurrentRequests
 * (64 in flight), a flood is shed.
 */
export const DEFAULT_LIST_QUEUE = 64;

/** A list worker that has read nothing for this long is stopped, giving back its isolate's memory. */
export const LIST_WORKER_IDLE_MS = 30_000;

/**
 * Each worker's V8 heap. Its code and zod schemas take about 9 MB and a page of 1,000 rows a few MB more,
 * so 32 MB of old generation is room for the largest page with headroom; a page that outgrows it stops
 * the worker and is answered 503 alone. A young generation of 8 MB (V8's default is several times that)
 * keeps each page's garbage small: with both and a 1 MiB SQLite cache a worker serving default pages
 * added about 41 MB of RSS against about 62 MB without (a throwaway script, 100,000 rows, load 17).
 */
export const LIST_WORKER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 };

/** The JSON each worker keeps of pages asked again while the database is unchanged (PageCache), in characters. */
export const PAGE_CACHE_LENGTH = 4_000_000;

/**
 * The longest page a worker keeps: the default pages (23-55 kB) and a little more, not the large ones
 * (`limit=1000`: a few hundred kB). Writing a large page costs the main loop whatever the worker does:
 * read each time, a flood of them waits in the list queue, which sheds it when full, as before the
 * cache. Answering them faster than reading them hurt /healthz in the flood (work/http17-singleflight,
 * where one read answered every identical request waiting: max 1.9-3.4 s against 0.2-1.6 s without).
 */
export const CACHED_PAGE_LENGTH = 100_000;

/**
 * The action rows each worker keeps decoded (memoizedDecoder): the largest page of actions (500) and
 * then some, a few MB. An action row costs about 6 µs to parse and check (its trigger, action and
 * decisions are JSON), most of an awaiting-approval page's read.
 */
export const ACTION_ROWS_KEPT = 1_000;
