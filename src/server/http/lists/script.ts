import { availableParallelism } from 'node:os';
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

/** One worker per core but the main thread's, at least one, at most four (SQLite readers gain little beyond). */
export const defaultListWorkers = (): number => Math.min(4, Math.max(1, availableParallelism() - 1));

/**
 * Pages waiting for a worker before a list request is refused: at about 2 ms of a worker's CPU per
 * default page, 32 are well within a second on an idle machine; past that a waiting client is better
 * told to retry than held.
 */
export const LIST_QUEUE_BOUND = 32;
