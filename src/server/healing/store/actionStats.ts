import type Database from 'better-sqlite3';
import { countRow, decodeRow } from '../../store/rows';
import { heldNodeRow, outcomeRowSchema } from './actionRows';
import type { HeldNode, OutcomeRow } from './repositories';

// The SQLite action repository's read-only counts and reports, each one statement.

/** The distinct targets with an open trigger (storm mode counts them). */
export function alarmingTargets(db: Database.Database): number {
  const row = db
    .prepare(
      `SELECT COUNT(DISTINCT COALESCE(json_extract(trigger, '$.object'), json_extract(trigger, '$.labels'))) AS n
         FROM healing_triggers WHERE closed_at IS NULL`
    )
    .get();
  return decodeRow(countRow, 'healing_triggers', row).n;
}

/** The nodes drains hold, oldest first. */
export function heldNodes(db: Database.Database): HeldNode[] {
  return db
    .prepare('SELECT node, action_id FROM healing_nodes_held ORDER BY since')
    .all()
    .map((r) => decodeRow(heldNodeRow, 'healing_nodes_held', r));
}

/** Every started action with what its outcome needs, grouped by policy and action type. */
export function outcomeRows(db: Database.Database): OutcomeRow[] {
  return db
    .prepare(
      `SELECT a.policy, a.action_type, a.state, a.started_at,
              json_extract(a.verification, '$.at') AS verified_at, t.closed_at,
              json_extract(t.trigger, '$.predictedFailureAt') AS predicted_failure_at
         FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key
        WHERE a.started_at IS NOT NULL ORDER BY a.policy, a.action_type, a.id`
    )
    .all()
    .map((row) => decodeRow(outcomeRowSchema, 'healing_actions', row));
}
