import { z } from 'zod';
import { changedColumns } from '../../healing/store/actionRows';
import type { ActionMove } from '../../healing/store/repositories';
import { decodeRow } from '../rows';
import { appendAudit } from './audit';
import type { Run } from './database';

const changeRow = z.object({ state: z.string(), change_token: z.string().nullable() });

/** The conditional update and what goes with it, inside the caller's transaction. */
export async function move(run: Run, m: ActionMove & { token: string; claimedBy?: string }): Promise<boolean> {
  const { changes = {}, alongside = {} } = m;
  const { rows } = await run('SELECT state, change_token FROM healing_actions WHERE id = $1 FOR UPDATE', [m.id]);
  if (rows.length === 0) {
    return false;
  }
  const current = decodeRow(changeRow, 'healing_actions', rows[0]);
  if (current.change_token === m.token) {
    // This very change committed on an earlier try whose answer was lost: it won, once.
    return true;
  }
  // A state this version does not know is simply not one the change may start from.
  if (!m.from.some((state) => state === current.state)) {
    return false;
  }
  if (alongside.holdNode !== undefined && !(await holdNode(run, alongside.holdNode, m))) {
    return false;
  }
  const params: unknown[] = [m.id, m.to, m.at, m.token];
  const sets = ['state = $2', 'updated_at = $3', 'change_token = $4'];
  const columns = [
    ...changedColumns(changes),
    ...(m.claimedBy !== undefined ? [{ column: 'claimed_by', value: m.claimedBy }] : []),
  ];
  for (const { column, value } of columns) {
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  }
  await run(`UPDATE healing_actions SET ${sets.join(', ')} WHERE id = $1`, params);
  if (alongside.releaseNode !== undefined) {
    await run('DELETE FROM healing_nodes_held WHERE node = $1', [alongside.releaseNode]);
  }
  for (const entry of alongside.audit ?? []) {
    await appendAudit(run, entry);
  }
  return true;
}

/**
 * Holds `node` for the moving action: a new hold, its own again, or the one it takes over. A hold by
 * any other action stays as it is (the row locked, so no other change takes it meanwhile): false.
 */
async function holdNode(run: Run, node: string, m: ActionMove): Promise<boolean> {
  const { rowCount } = await run(
    `INSERT INTO healing_nodes_held (node, action_id, since) VALUES ($1, $2, $3)
     ON CONFLICT (node) DO UPDATE SET action_id = EXCLUDED.action_id
       WHERE healing_nodes_held.action_id = EXCLUDED.action_id
          OR healing_nodes_held.action_id IS NOT DISTINCT FROM $4::integer`,
    [node, m.id, m.at, m.alongside?.takesOver ?? null]
  );
  return rowCount === 1;
}
