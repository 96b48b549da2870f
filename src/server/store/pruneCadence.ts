// How retention prunes, the same for healing's records and detection's (healing/retention.ts,
// pipeline/store/retention.ts): each on the leader's tick, in batches of rows.

/** A prune starts at most this often, on the first tick after it is due. */
export const PRUNE_INTERVAL_MS = 3_600_000;
/** Rows one transaction of a prune deletes at most: a first prune of a large table takes many short ticks. */
export const PRUNE_BATCH_ROWS = 1_000;

/**
 * The parents of a batch (a trigger and its actions, an anomaly and its feedback), in order, while
 * they and their `children` fit in `limit` rows (the first always: a batch makes progress), and
 * whether prunable parents are left for the next batch (`candidates`: at most `limit` were asked for).
 */
export function rowBudgetBatch<K>(
  candidates: ReadonlyArray<{ key: K; children: number }>,
  limit: number
): { keys: K[]; more: boolean } {
  const keys: K[] = [];
  let budget = limit;
  for (const { key, children } of candidates) {
    if (keys.length > 0 && 1 + children > budget) {
      break;
    }
    keys.push(key);
    budget -= 1 + children;
  }
  return { keys, more: keys.length < candidates.length || candidates.length >= limit };
}
