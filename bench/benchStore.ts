import type { SqliteOptions } from '../src/server/store/sqlite';

/**
 * The store's WAL checkpointer as main opens it (the WAL written back on a worker thread, not in the
 * cycle's commit), for every bench that runs a pipeline: a checkpointer that stops would change what
 * is measured, so it stops the bench instead of warning as main does.
 */
export const BENCH_WAL_CHECKPOINTS: NonNullable<SqliteOptions['walCheckpoints']> = {
  onStopped: (why) => {
    throw new Error(`the bench's WAL checkpointer stopped: ${why}`);
  },
};
