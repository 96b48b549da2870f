import type Database from 'better-sqlite3';
import { labelsSchema } from '../../../contract/vocabulary';
import { targetId } from '../../pipeline/targets';
import { OPEN_STATES } from './actionRows';
import { keysetOrder } from './keyset';
import type { ActionFilter } from './repositories';

// The SQLite statements of an action list's page: its filter's WHERE clause, the SQL function that
// computes a trigger's target (for migration 0016), and the page's SELECT.

/** The actions joined with their triggers, as `a` and `t`. */
export const JOINED = 'healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key';
export const OPEN = OPEN_STATES.map((s) => `'${s}'`).join(', ');

/** Whether a filter's clause reads the trigger (`t`), so its statements join it. */
export const readsTrigger = (q: ActionFilter) => Boolean(q.triggerId || q.triggerTarget);

/**
 * An open action's trigger: from migration 0013's index of open triggers when it is open (an open
 * action's trigger mostly is, and they lie on a few pages there), else from the table. Every action
 * has its trigger (a foreign key), so this is the join's trigger without the join.
 */
const OPEN_TRIGGER = `COALESCE(
  (SELECT o.trigger FROM healing_triggers o INDEXED BY healing_triggers_open WHERE o.key = a.trigger_key AND o.closed_at IS NULL),
  (SELECT k.trigger FROM healing_triggers k WHERE k.key = a.trigger_key)) AS trigger`;

/**
 * The statement of a page of actions, newest first (keyset by id: its parameters are the clause's,
 * then `values`, the cursor's id when it has one, then the limit and offset), for a filter and its clause. A page of open
 * states reads migration 0013's partial indexes (the query names the index's own term: SQLite proves
 * a partial index usable only from the query's terms), so after another connection's commit a list
 * worker reads it again from a few pages of the file instead of a few hundred. Other pages, whose
 * triggers are mostly closed, join the table.
 */
export function actionPageSql(q: ActionFilter, clause: string): { sql: string; values: number[] } {
  const open = Boolean(q.state?.length && q.state.every((s) => OPEN_STATES.includes(s)));
  const select =
    open && !readsTrigger(q)
      ? `SELECT a.*, ${OPEN_TRIGGER} FROM healing_actions a`
      : `SELECT a.*, t.trigger FROM ${JOINED}`;
  const key = keysetOrder('a.id', q.cursor);
  const terms = [...(open ? [`a.state IN (${OPEN})`] : []), ...(key.condition ? [key.condition] : [])];
  const where = terms.length ? `${clause ? `${clause} AND` : ' WHERE'} ${terms.join(' AND ')}` : clause;
  return { sql: `${select}${where} ORDER BY ${key.order} LIMIT ? OFFSET ?`, values: key.values };
}

/**
 * An anomaly's trigger carries its target's watch and labels, not the id: computing the id the way the
 * pipeline does (label order, quoting) fills the triggers' `trigger_target` that migration 0016 adds.
 */
export function registerTriggerTarget(db: Database.Database): void {
  db.function('fp_trigger_target', { deterministic: true }, (watch: unknown, labels: unknown) =>
    typeof watch === 'string' && typeof labels === 'string' ? triggerTarget(watch, labels) : null
  );
}

/** The clause (empty, or ` WHERE ...` over `a` actions joined to `t` triggers) and its parameters. */
export function actionFilterClause(q: ActionFilter): { clause: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.state?.length) {
    where.push(`a.state IN (${q.state.map(() => '?').join(', ')})`);
    params.push(...q.state);
  }
  if (q.policy) {
    where.push('a.policy = ?');
    params.push(q.policy);
  }
  if (q.namespace) {
    where.push('a.namespace = ?');
    params.push(q.namespace);
  }
  if (q.triggerId) {
    // An anomaly's id is a JSON number, an alert's text: both matched as the text the query gives.
    where.push(`CAST(json_extract(t.trigger, '$.id') AS TEXT) = ?`);
    params.push(q.triggerId);
  }
  if (q.triggerTarget) {
    // The target the trigger keeps (migration 0016), from its index.
    where.push('t.trigger_target = ?');
    params.push(q.triggerTarget);
  }
  return { clause: where.length ? ` WHERE ${where.join(' AND ')}` : '', params };
}

/** An anomaly trigger's target id from its watch and stored labels; null when the labels are not a label set. */
function triggerTarget(watch: string, labels: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(labels);
  } catch {
    return null;
  }
  const checked = labelsSchema.safeParse(parsed);
  return checked.success ? targetId(watch, checked.data) : null;
}
