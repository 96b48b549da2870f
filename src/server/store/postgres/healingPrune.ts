import {
  batchOf,
  prunableTriggersSql,
  pruneAuditSql,
  recordCutoffSql,
  type PruneBatch,
  type PruneDialect,
} from '../../healing/store/prune';
import type { Run } from './database';

// Retention's deletes on PostgreSQL (src/server/healing/store/prune.ts says what goes), each batch
// inside the caller's transaction.

const PARAMS = { cutoff: '$1::bigint', limit: '$2::int' } as const;

export const POSTGRES_PRUNE: PruneDialect = {
  param: (name) => PARAMS[name],
  openedAs: (t) => `${t}.source || ':' || (${t}.trigger ->> 'id')`,
};

/**
 * The oldest prunable triggers with their actions. Locked as they are picked, and one another replica
 * holds (reopening it as its alert fires again) skipped: a trigger never loses its actions while it opens.
 */
export async function pruneTriggers(run: Run, cutoff: number, limit: number): Promise<PruneBatch> {
  const { rows } = await run(`${prunableTriggersSql(POSTGRES_PRUNE)} FOR UPDATE OF t SKIP LOCKED`, [cutoff, limit]);
  const { keys, more } = batchOf(rows, limit);
  // Actions first: each names its trigger (a foreign key).
  const actions = await run('DELETE FROM healing_actions WHERE trigger_key = ANY($1::text[])', [keys]);
  const triggers = await run('DELETE FROM healing_triggers WHERE key = ANY($1::text[])', [keys]);
  return { deleted: { healing_actions: actions.rowCount ?? 0, healing_triggers: triggers.rowCount ?? 0 }, more };
}

/** Records the cutoff (the log refuses deletes of entries not older than it: migration 13), then deletes before it. */
export async function pruneAudit(run: Run, cutoff: number, limit: number): Promise<PruneBatch> {
  for (const sql of recordCutoffSql(POSTGRES_PRUNE)) {
    await run(sql, [cutoff]);
  }
  const deleted = (await run(pruneAuditSql(POSTGRES_PRUNE), [cutoff, limit])).rowCount ?? 0;
  return { deleted: { healing_audit: deleted }, more: deleted >= limit };
}
