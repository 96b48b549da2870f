import type Database from 'better-sqlite3';
import { labelsSchema } from '../../../contract/vocabulary';
import { targetId } from '../../pipeline/targets';
import type { ActionFilter } from './repositories';

// The SQLite WHERE clause of an action list's filter, and the SQL function its triggerTarget needs.

/**
 * An anomaly's trigger carries its target's watch and labels, not the id: computing the id the
 * way the pipeline does keeps the triggerTarget filter exact (label order, quoting).
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
    where.push(
      `json_extract(t.trigger, '$.source') = 'anomaly' AND fp_trigger_target(json_extract(t.trigger, '$.watch'), json_extract(t.trigger, '$.labels')) = ?`
    );
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
