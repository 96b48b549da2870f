// How retention prunes, the same for healing's records and detection's (healing/retention.ts,
// pipeline/store/retention.ts): each on the leader's tick.

/** A prune starts at most this often, on the first tick after it is due. */
export const PRUNE_INTERVAL_MS = 3_600_000;
/** Rows one transaction of a prune deletes at most: a first prune of a large table takes many short ticks. */
export const PRUNE_BATCH_ROWS = 1_000;
