/**
 * The list worker (src/server/http/lists/worker.ts) with two faults a test can ask for in the query:
 * `crash=1` stops the thread (as a native crash or an out-of-memory kill would), `hold=1` blocks it
 * for good (a page that never ends). Other pages are the real worker's: this listener runs first.
 */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (job: { query?: unknown }) => {
  const query = String(job.query);
  if (query.includes('crash=1')) {
    process.exit(3);
  }
  if (query.includes('hold=1')) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
});
require('../../src/server/http/lists/worker');
