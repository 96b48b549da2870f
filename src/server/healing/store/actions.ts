import type Database from 'better-sqlite3';
import { decodeRow } from '../../store/rows';
import { z } from 'zod';
import {
  healingTriggerSchema,
  type actionListQuerySchema,
  type ActionState,
  type HealingTrigger,
  type PlannedAction,
  type Reason,
} from '../../../contract/healing';
import type { DrainProgress } from '../../kubernetes';
import { targetId } from '../../pipeline/targets';
import {
  changedColumns,
  proposalValues,
  readAction,
  type ActionChanges,
  type NewAction,
  type StoredAction,
} from './actionRows';
import { countRow, idRow, optional, parseJsonColumns } from './rows';

export type ActionFilter = z.output<typeof actionListQuerySchema>;

export type { ActionChanges, NewAction, StoredAction } from './actionRows';

export interface TriggerRecord {
  trigger: HealingTrigger;
  openedAt: number;
  closedAt?: number;
}

export const triggerKey = (trigger: Pick<HealingTrigger, 'source' | 'id'>) => `${trigger.source}:${trigger.id}`;
const SUPERSEDED = '#superseded-';

const triggerRowSchema = z.object({
  trigger: healingTriggerSchema,
  opened_at: z.number(),
  closed_at: optional(z.number()),
});
const closedAtRow = z.object({ closed_at: z.number().nullable() });
const startedAtRow = z.object({ started_at: z.number() });
const heldNodeRow = z.object({ node: z.string(), action_id: z.number().int() });
const labelsSchema = healingTriggerSchema.shape.labels;

const ids = (rows: unknown[]) => rows.map((r) => decodeRow(idRow, 'healing_actions', r).id);
const count = (row: unknown, table = 'healing_actions') => decodeRow(countRow, table, row).n;

const SELECT = `SELECT a.*, t.trigger FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key`;

/** Actions and the triggers behind them. Every state change is a conditional update: the caller learns whether it won. */
export class ActionRepository {
  private readonly byId: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.byId = db.prepare(`${SELECT} WHERE a.id = ?`);
    // An anomaly's trigger carries its target's watch and labels, not the id: computing the id the
    // way the pipeline does keeps the triggerTarget filter exact (label order, quoting).
    db.function('fp_trigger_target', { deterministic: true }, (watch: unknown, labels: unknown) =>
      typeof watch === 'string' && typeof labels === 'string' ? triggerTarget(watch, labels) : null
    );
  }

  /** Records a trigger, or refreshes it; a closed one that fires again is open again. */
  openTrigger(trigger: HealingTrigger, at: number): { isNew: boolean; reopened: boolean } {
    const key = triggerKey(trigger);
    const found = this.db.prepare('SELECT closed_at FROM healing_triggers WHERE key = ?').get(key);
    const existing = found === undefined ? undefined : decodeRow(closedAtRow, 'healing_triggers', found);
    if (!existing) {
      this.db
        .prepare('INSERT INTO healing_triggers (key, source, trigger, opened_at) VALUES (?, ?, ?, ?)')
        .run(key, trigger.source, JSON.stringify(trigger), at);
      return { isNew: true, reopened: false };
    }
    this.db
      .prepare('UPDATE healing_triggers SET trigger = ?, closed_at = NULL WHERE key = ?')
      .run(JSON.stringify(trigger), key);
    return { isNew: false, reopened: existing.closed_at !== null };
  }

  /** True when this call closed it (it was open). */
  closeTrigger(key: string, at: number): boolean {
    return (
      this.db.prepare('UPDATE healing_triggers SET closed_at = ? WHERE key = ? AND closed_at IS NULL').run(at, key)
        .changes === 1
    );
  }

  trigger(key: string): TriggerRecord | undefined {
    const found = this.db.prepare('SELECT trigger, opened_at, closed_at FROM healing_triggers WHERE key = ?').get(key);
    if (found === undefined) {
      return undefined;
    }
    const row = decodeRow(triggerRowSchema, 'healing_triggers', parseJsonColumns(found, ['trigger']));
    return { trigger: row.trigger, openedAt: row.opened_at, closedAt: row.closed_at };
  }

  /** Undefined when this trigger already proposed this action on this target (deduplication). */
  insert(input: NewAction): number | undefined {
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO healing_actions (trigger_key, policy, gate, action_type, target, namespace, state, action, ladder, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?)`
      )
      .run(...proposalValues(input), input.ladder ? JSON.stringify(input.ladder) : null, input.at, input.at);
    return info.changes === 1 ? Number(info.lastInsertRowid) : undefined;
  }

  get(id: number): StoredAction | undefined {
    const row = this.byId.get(id);
    return row === undefined ? undefined : readAction(row);
  }

  /** Moves the action from one of `from` to `to`; false when its state was not one of `from` (someone else moved it). */
  transition(id: number, from: ActionState[], to: ActionState, at: number, changes: ActionChanges = {}): boolean {
    const sets = ['state = @to', 'updated_at = @at'];
    const params: Record<string, unknown> = { id, to, at };
    changedColumns(changes).forEach(({ column, value }, i) => {
      sets.push(`${column} = @c${i}`);
      params[`c${i}`] = value;
    });
    const placeholders = from.map((_, i) => `@from${i}`);
    from.forEach((state, i) => (params[`from${i}`] = state));
    const sql = `UPDATE healing_actions SET ${sets.join(', ')} WHERE id = @id AND state IN (${placeholders.join(', ')})`;
    return this.db.prepare(sql).run(params).changes === 1;
  }

  /**
   * A superseded action keeps its trigger under an archive key (`<key>#superseded-<id>`, closed), so
   * the deduplication (one action per trigger, type and target) lets the trigger propose it again.
   */
  archiveTriggerKey(id: number, at: number): void {
    const action = this.get(id);
    if (!action) {
      return;
    }
    const archived = `${action.triggerKey}${SUPERSEDED}${id}`;
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO healing_triggers (key, source, trigger, opened_at, closed_at)
           SELECT ?, source, trigger, opened_at, ? FROM healing_triggers WHERE key = ?`
        )
        .run(archived, at, action.triggerKey);
      this.db.prepare('UPDATE healing_actions SET trigger_key = ? WHERE id = ?').run(archived, id);
    })();
  }

  /** How many times this trigger's action on this target was superseded and proposed again. */
  supersededCount(key: string, type: PlannedAction['type'], target: string): number {
    const prefix = `${key}${SUPERSEDED}`;
    return count(
      this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM healing_actions
           WHERE substr(trigger_key, 1, length(@prefix)) = @prefix AND action_type = @type AND target = @target`
        )
        .get({ prefix, type, target })
    );
  }

  /** Notes why an approved action still waits (e.g. the node budget), without changing its state. */
  setReason(id: number, reason: Reason | null, at: number): void {
    this.db
      .prepare('UPDATE healing_actions SET reason = ?, updated_at = ? WHERE id = ?')
      .run(reason ? JSON.stringify(reason) : null, at, id);
  }

  setProgress(id: number, progress: DrainProgress, at: number): void {
    this.db
      .prepare(`UPDATE healing_actions SET progress = ?, updated_at = ? WHERE id = ? AND state = 'executing'`)
      .run(JSON.stringify(progress), at, id);
  }

  idsInState(state: ActionState): number[] {
    return ids(this.db.prepare('SELECT id FROM healing_actions WHERE state = ? ORDER BY id').all(state));
  }

  /**
   * Actions that succeeded and wait for their verification: Kubernetes actions, and a notification
   * only as a ladder's step (the ladder has to know whether it ended with a recovery).
   */
  awaitingVerification(): number[] {
    return ids(
      this.db
        .prepare(
          `SELECT id FROM healing_actions WHERE state = 'succeeded' AND (action_type != 'notify' OR ladder IS NOT NULL) ORDER BY id`
        )
        .all()
    );
  }

  expiredIds(now: number): number[] {
    return ids(
      this.db
        .prepare(`SELECT id FROM healing_actions WHERE state = 'awaiting_approval' AND expires_at <= ? ORDER BY id`)
        .all(now)
    );
  }

  /** Kubernetes executions started since `since`, cluster-wide or in one namespace (notifications do not count). */
  countStartedSince(since: number, namespace?: string): number {
    return count(
      namespace === undefined
        ? this.db
            .prepare(`SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= ? AND action_type != 'notify'`)
            .get(since)
        : this.db
            .prepare(
              `SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= ? AND action_type != 'notify' AND namespace = ?`
            )
            .get(since, namespace)
    );
  }

  /** Start times of this action on this target since `since`, newest first. */
  startsOn(target: string, type: PlannedAction['type'], since: number): number[] {
    const rows = this.db
      .prepare(
        'SELECT started_at FROM healing_actions WHERE target = ? AND action_type = ? AND started_at >= ? ORDER BY started_at DESC'
      )
      .all(target, type, since);
    return rows.map((r) => decodeRow(startedAtRow, 'healing_actions', r)).map((r) => r.started_at);
  }

  /** Another action of this type on this target that is still under way (proposed, waiting, approved or executing). */
  openOn(target: string, type: PlannedAction['type'], exceptId: number): number | undefined {
    const row = this.db
      .prepare(
        `SELECT id FROM healing_actions WHERE target = ? AND action_type = ? AND id != ?
           AND state IN ('proposed', 'awaiting_approval', 'approved', 'executing') ORDER BY id LIMIT 1`
      )
      .get(target, type, exceptId);
    return row === undefined ? undefined : ids([row])[0];
  }

  list(q: ActionFilter): { items: StoredAction[]; total: number } {
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
      where.push(`json_extract(t.trigger, '$.id') = ?`);
      params.push(q.triggerId);
    }
    if (q.triggerTarget) {
      where.push(
        `json_extract(t.trigger, '$.source') = 'anomaly' AND fp_trigger_target(json_extract(t.trigger, '$.watch'), json_extract(t.trigger, '$.labels')) = ?`
      );
      params.push(q.triggerTarget);
    }
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const total = count(
      this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key${clause}`
        )
        .get(...params)
    );
    const rows = this.db
      .prepare(`${SELECT}${clause} ORDER BY a.id DESC LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset);
    return { items: rows.map(readAction), total };
  }

  /**
   * Storm mode: how many distinct targets have an open trigger now (one per Kubernetes object, or
   * per label set when the trigger maps to none).
   */
  alarmingTargets(): number {
    return count(
      this.db
        .prepare(
          `SELECT COUNT(DISTINCT COALESCE(json_extract(trigger, '$.object'), json_extract(trigger, '$.labels'))) AS n
             FROM healing_triggers WHERE closed_at IS NULL`
        )
        .get(),
      'healing_triggers'
    );
  }

  countInState(state: ActionState): number {
    return count(this.db.prepare('SELECT COUNT(*) AS n FROM healing_actions WHERE state = ?').get(state));
  }

  // The node budget: nodes the engine cordoned (alone or as part of a drain) and has not given back.

  heldNodes(): Array<{ node: string; actionId: number }> {
    const rows = this.db.prepare('SELECT node, action_id FROM healing_nodes_held ORDER BY since').all();
    return rows
      .map((r) => decodeRow(heldNodeRow, 'healing_nodes_held', r))
      .map((r) => ({ node: r.node, actionId: r.action_id }));
  }

  holdNode(node: string, actionId: number, at: number): void {
    this.db
      .prepare(
        'INSERT INTO healing_nodes_held (node, action_id, since) VALUES (?, ?, ?) ON CONFLICT(node) DO UPDATE SET action_id = excluded.action_id'
      )
      .run(node, actionId, at);
  }

  releaseNode(node: string): void {
    this.db.prepare('DELETE FROM healing_nodes_held WHERE node = ?').run(node);
  }
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
