import type { PlannedAction } from '../../../contract/healing';
import { heldNodeRow, OPEN_STATES, startedAtRow, type StoredAction } from '../../healing/store/actionRows';
import type { HeldNode, LimitFacts, LimitWindow } from '../../healing/store/repositories';
import { NOT_A_FAILED_SEND, SENT_SINCE_SQL } from '../../healing/store/announcements';
import { decodeRow } from '../rows';
import { count, ids } from './actionReads';
import type { Run } from './database';

/** What the safety limits read about an action, inside the caller's transaction or on the pool. */
export async function facts(run: Run, action: StoredAction, window: LimitWindow): Promise<LimitFacts> {
  const open = await run(
    `SELECT id FROM healing_actions WHERE target = $1 AND action_type = $2 AND id != $3 AND state = ANY($4::text[])
      ORDER BY id LIMIT 1`,
    [action.target, action.action.type, action.id, OPEN_STATES]
  );
  const [lastStart] = await starts(run, action.target, action.action.type, window.cooldownSince);
  return {
    ...(open.rows.length === 1 ? { openOn: ids(open.rows)[0] } : {}),
    ...(lastStart !== undefined ? { lastStart } : {}),
    startedLastHour: await started(run, window.hourSince),
    startedLastHourInNamespace:
      action.namespace === undefined ? 0 : await started(run, window.hourSince, action.namespace),
    notifiedLastHour: await notified(run, window.hourSince),
    heldNodes: await held(run),
  };
}

export async function started(run: Run, since: number, namespace?: string): Promise<number> {
  const { rows } =
    namespace === undefined
      ? await run(`SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= $1 AND action_type != 'notify'`, [
          since,
        ])
      : await run(
          `SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= $1 AND action_type != 'notify' AND namespace = $2`,
          [since, namespace]
        );
  return count(rows);
}

/** Everything sent to a person since then: notify actions and announcements. */
export async function notified(run: Run, since: number): Promise<number> {
  const { rows } = await run(SENT_SINCE_SQL, [since]);
  return count(rows, 'healing_announcements');
}

export async function starts(run: Run, target: string, type: PlannedAction['type'], since: number): Promise<number[]> {
  const { rows } = await run(
    `SELECT started_at FROM healing_actions WHERE target = $1 AND action_type = $2 AND started_at >= $3
      AND ${NOT_A_FAILED_SEND} ORDER BY started_at DESC`,
    [target, type, since]
  );
  return rows.map((r) => decodeRow(startedAtRow, 'healing_actions', r).started_at);
}

export async function held(run: Run): Promise<HeldNode[]> {
  const { rows } = await run('SELECT node, action_id FROM healing_nodes_held ORDER BY since, node');
  return rows.map((r) => decodeRow(heldNodeRow, 'healing_nodes_held', r));
}
