/**
 * A list worker (`node:worker_threads`): answers list pages from its own read-only connection to the
 * SQLite file, so the main thread's event loop only routes requests and writes the bytes. Started by
 * ListWorkers (pool.ts); bundled as `dist-server/listWorker.mjs`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { readAction } from '../../healing/store/actionRows';
import { SqliteActionRepository } from '../../healing/store/actions';
import { SqliteAuditRepository } from '../../healing/store/audit';
import { registerCaseFolding } from '../../pipeline/store/caseFolding';
import { SqlitePipelineRepository } from '../../pipeline/store/sqliteRepository';
import { jobSchema, workerDataSchema, type WorkerReply } from './messages';
import { PageCache } from './pageCache';
import { readList } from './readers';
import { memoizedDecoder } from './rowMemo';
import { ACTION_ROWS_KEPT, CACHED_PAGE_LENGTH, PAGE_CACHE_LENGTH } from './script';

const port = parentPort;
if (port === null) {
  throw new Error('the list worker runs in a worker thread (ListWorkers starts it)');
}
const { database } = workerDataSchema.parse(workerData);
// Read-only: the repositories' write statements are prepared but SQLite refuses to run them here.
const db = new Database(database, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
// The lists' `q` filters fold case as the backend's own connection does (store/sqlite.ts).
registerCaseFolding(db);
// 1 MiB of page cache (SQLite's default is 2 MB per connection): a page of 100 rows touches a few hundred
// KB of the file, and what falls out is read again from the OS's cache, not the disk.
db.pragma('cache_size = -1024');
const readOnly = (): never => {
  throw new Error('a list worker only reads');
};
const sources = {
  pipeline: new SqlitePipelineRepository(db, readOnly),
  actions: new SqliteActionRepository(db, readOnly, memoizedDecoder(readAction, ACTION_ROWS_KEPT)),
  audit: new SqliteAuditRepository(db, readOnly),
};

const dataVersion = db.prepare('PRAGMA data_version').pluck();
const versionSchema = z.number().int();
const pages = new PageCache(() => versionSchema.parse(dataVersion.get()), PAGE_CACHE_LENGTH, CACHED_PAGE_LENGTH);

port.on('message', (raw: unknown) => {
  const job = jobSchema.safeParse(raw);
  if (!job.success) {
    // Without a valid id nothing can be answered; the pool only sends valid jobs, so this is a bug.
    throw new Error(`a list worker was sent a message it cannot read: ${job.error.issues[0].message}`);
  }
  const { id, route, query } = job.data;
  pages
    .read(`${route}?${query}`, () => readList(sources, route, query))
    .then(
      (answer) => port.postMessage({ id, ...answer } satisfies WorkerReply),
      (err: unknown) =>
        port.postMessage({
          id,
          error: {
            name: err instanceof Error ? err.name : 'Error',
            message: err instanceof Error ? err.message : String(err),
          },
        } satisfies WorkerReply)
    );
});
