import { z } from 'zod';
import { rowBudgetBatch } from '../../store/pruneCadence';
import { decodeRow } from '../../store/rows';
import { finishedSql } from './actionRows';

// What a prune of the healing records (src/server/healing/retention.ts) may delete, as the SQL both
// stores run, and how one batch stays within its budget of rows.

/** The tables a prune deletes from: the `table` label of failureprophet_healing_pruned_total. */
export const PRUNED_TABLES = ['healing_actions', 'healing_triggers', 'healing_breakers', 'healing_audit'] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/** What one batch of a prune deleted, per table, and whether it left some of what it may delete for the next. */
export interface PruneBatch {
  deleted: Partial<Record<PrunedTable, number>>;
  more: boolean;
}

/** How a store writes what the shared SQL leaves to it. */
export interface PruneDialect {
  /** The statement's parameter: the cutoff (epoch ms) or the batch's row budget. */
  param: (name: 'cutoff' | 'limit') => string;
  /**
   * The key trigger row `t` was opened under (actionRows' triggerKey), from its own source and id: an
   * archive's row keeps those of the trigger it was archived from, so its key is not this one.
   */
  openedAs: (t: string) => string;
}

/** SQLite's: named parameters, and the trigger's id read from its JSON. */
export const SQLITE_PRUNE: PruneDialect = {
  param: (name) => `@${name}`,
  openedAs: (t) => `${t}.source || ':' || json_extract(${t}.trigger, '$.id')`,
};

/**
 * The triggers a prune may delete, with the number of actions each has, oldest closed first, at most
 * `limit`. A trigger goes whole, with its actions, because its actions are what keeps it from proposing
 * the same action twice: an action deleted under a trigger that stays (or opens again) would let it
 * propose again. So a trigger goes only once it closed before the cutoff and each of its actions is
 * finished, unchanged since the cutoff, holds no node (the node budget) and opened no breaker still
 * open. A trigger an action was archived under, whatever it gave its place up for (ArchivedAs), stays
 * as long as the trigger it was archived from: the archives count how often that trigger's action was
 * proposed again, and keep what the proposal after names. An archive is told by its trigger's own id
 * rather than by a marker in its key: an alert's id may hold one.
 */
export function prunableTriggersSql(d: PruneDialect): string {
  const cutoff = d.param('cutoff');
  return `
    SELECT t.key, (SELECT CAST(COUNT(*) AS INTEGER) FROM healing_actions a WHERE a.trigger_key = t.key) AS actions
      FROM healing_triggers t
     WHERE t.closed_at < ${cutoff}
       AND NOT EXISTS (
         SELECT 1 FROM healing_actions k
          WHERE k.trigger_key = t.key
            AND (k.updated_at >= ${cutoff} OR NOT ${finishedSql('k')}
                 OR k.id IN (SELECT action_id FROM healing_nodes_held)
                 OR k.id IN (SELECT action_id FROM healing_breakers WHERE closed_at IS NULL)))
       AND NOT EXISTS (SELECT 1 FROM healing_triggers f WHERE f.key = ${d.openedAs('t')} AND f.key <> t.key)
     ORDER BY t.closed_at
     LIMIT ${d.param('limit')}`;
}

const prunableRow = z.object({ key: z.string(), actions: z.number().int() });

/** The triggers of a batch (rowBudgetBatch: they and their actions within `limit` rows). */
export function batchOf(rows: unknown[], limit: number): { keys: string[]; more: boolean } {
  const candidates = rows.map((row) => decodeRow(prunableRow, 'healing_triggers', row));
  return rowBudgetBatch(
    candidates.map(({ key, actions }) => ({ key, children: actions })),
    limit
  );
}

/**
 * The oldest circuit breakers closed before the cutoff, at most `limit`; an open one (closed_at NULL)
 * never goes. The cutoff is the records' one, no later than the safety limits look back, so a target's
 * last close still inside the breaker's window, which bounds the repeats it counts (lastClosedAt), is
 * kept. One row per time a breaker opened: few enough to scan without an index.
 */
export const pruneBreakersSql = (d: PruneDialect) =>
  `DELETE FROM healing_breakers WHERE id IN (
     SELECT id FROM healing_breakers WHERE closed_at < ${d.param('cutoff')} ORDER BY closed_at LIMIT ${d.param('limit')})`;

/**
 * Records the audit log's retention cutoff, the first time, then moves it forward to `cutoff`, never
 * back (the store refuses that too): a prune with an earlier cutoff deletes before its own. When two
 * PostgreSQL leaders (a lease changing hands) record the first cutoff at once, both find no row: the
 * second's insert waits for the first's and then, ON CONFLICT DO NOTHING, inserts nothing instead of
 * failing on the key. On SQLite (one writer at a time) NOT EXISTS keeps the insert away from the
 * trigger that refuses a second row; ON CONFLICT there only needs the WHERE to parse.
 */
export const recordCutoffSql = (d: PruneDialect) => [
  `INSERT INTO healing_retention (id, audit_cutoff)
     SELECT 1, ${d.param('cutoff')} WHERE NOT EXISTS (SELECT 1 FROM healing_retention)
     ON CONFLICT (id) DO NOTHING`,
  `UPDATE healing_retention SET audit_cutoff = ${d.param('cutoff')} WHERE id = 1 AND audit_cutoff < ${d.param('cutoff')}`,
];

/** The oldest audit entries before the cutoff, at most `limit` (the index on `at` finds them). */
export const pruneAuditSql = (d: PruneDialect) =>
  `DELETE FROM healing_audit WHERE id IN (
     SELECT id FROM healing_audit WHERE at < ${d.param('cutoff')} ORDER BY at LIMIT ${d.param('limit')})`;
