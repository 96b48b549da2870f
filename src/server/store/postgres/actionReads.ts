import { readAction, type StoredAction } from '../../healing/store/actionRows';
import { countRow, decodeRow, idRow } from '../rows';
import type { Run } from './database';

// JSON columns are read as text, as SQLite keeps them, so one reader (actionRows.ts) checks both.
export const COLUMNS = `a.id, a.trigger_key, t.trigger::text AS trigger, a.policy, a.gate, a.target, a.namespace, a.state,
  a.action::text AS action, a.dry_run::text AS dry_run, a.decisions::text AS decisions, a.reason::text AS reason,
  a.progress::text AS progress, a.result::text AS result, a.verification::text AS verification,
  a.ladder::text AS ladder, a.claimed_by, a.created_at, a.updated_at, a.expires_at, a.started_at, a.finished_at`;
export const FROM = 'healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key';

export const ids = (rows: unknown[]) => rows.map((r) => decodeRow(idRow, 'healing_actions', r).id);
export const count = (rows: unknown[], table = 'healing_actions') => decodeRow(countRow, table, rows[0]).n;

/** One action with its trigger, locked when `lock` says so (`FOR UPDATE OF a`). */
export async function read(run: Run, id: number, lock = ''): Promise<StoredAction | undefined> {
  const { rows } = await run(`SELECT ${COLUMNS} FROM ${FROM} WHERE a.id = $1::bigint ${lock}`, [id]);
  return rows.length === 1 ? readAction(rows[0]) : undefined;
}
