import type Database from 'better-sqlite3';
import type { z } from 'zod';
import {
  ladderPositionSchema,
  type Action,
  type actionListQuerySchema,
  type ActionState,
  type Decision,
  type DryRunRecord,
  type ExecutionResult,
  type Gate,
  type HealingTrigger,
  type LadderPosition,
  type PlannedAction,
  type Reason,
  type Verification,
} from '../../../contract/healing';
import type { DrainProgress } from '../../kubernetes';
import { targetId } from '../../pipeline/targets';

export type ActionFilter = z.output<typeof actionListQuerySchema>;

interface ActionRow {
  id: number;
  trigger_key: string;
  trigger: string;
  policy: string;
  gate: Gate;
  action_type: PlannedAction['type'];
  target: string;
  namespace: string | null;
  state: ActionState;
  action: string;
  dry_run: string | null;
  decisions: string;
  reason: string | null;
  progress: string | null;
  result: string | null;
  verification: string | null;
  ladder: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}

/** An action with what only the engine needs besides the API's view of it. */
export interface StoredAction extends Action {
  triggerKey: string;
  /** A drain's progress, persisted after each eviction so a restart resumes instead of evicting again. */
  progress?: DrainProgress;
}

export interface NewAction {
  triggerKey: string;
  policy: string;
  gate: Gate;
  action: PlannedAction;
  target: string;
  namespace?: string;
  ladder?: LadderPosition;
  at: number;
}

/** Columns a transition may set besides the state. */
export interface ActionChanges {
  action?: PlannedAction;
  dryRun?: DryRunRecord;
  decisions?: Decision[];
  reason?: Reason | null;
  result?: ExecutionResult;
  verification?: Verification;
  expiresAt?: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface TriggerRecord {
  trigger: HealingTrigger;
  openedAt: number;
  closedAt?: number;
}

const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));
const parse = <T>(text: string | null): T | undefined => (text === null ? undefined : (JSON.parse(text) as T));
const opt = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

export const triggerKey = (trigger: Pick<HealingTrigger, 'source' | 'id'>) => `${trigger.source}:${trigger.id}`;
const SUPERSEDED = '#superseded-';

/** The ladder column, checked as it is read back: a corrupt one names the action instead of spreading. */
function readLadder(row: ActionRow): LadderPosition {
  const parsed = ladderPositionSchema.safeParse(JSON.parse(row.ladder ?? 'null'));
  if (!parsed.success) {
    throw new Error(`action ${row.id}: its stored ladder position is not valid: ${parsed.error.message}`);
  }
  return parsed.data;
}

function toAction(row: ActionRow): StoredAction {
  return {
    id: row.id,
    state: row.state,
    trigger: JSON.parse(row.trigger) as HealingTrigger,
    triggerKey: row.trigger_key,
    policy: row.policy,
    gate: row.gate,
    action: JSON.parse(row.action) as PlannedAction,
    target: row.target,
    namespace: opt(row.namespace),
    dryRun: parse(row.dry_run),
    decisions: JSON.parse(row.decisions) as Decision[],
    reason: parse(row.reason),
    progress: parse(row.progress),
    result: parse(row.result),
    verification: parse(row.verification),
    ...(row.ladder === null ? {} : { ladder: readLadder(row) }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: opt(row.expires_at),
    startedAt: opt(row.started_at),
    finishedAt: opt(row.finished_at),
  };
}

const SELECT = `SELECT a.*, t.trigger FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key`;

/** Actions and the triggers behind them. Every state change is a conditional update: the caller learns whether it won. */
export class ActionRepository {
  private readonly byId: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.byId = db.prepare(`${SELECT} WHERE a.id = ?`);
    // An anomaly's trigger carries its target's watch and labels, not the id: computing the id the
    // way the pipeline does keeps the triggerTarget filter exact (label order, quoting).
    db.function('fp_trigger_target', { deterministic: true }, (watch: unknown, labels: unknown) =>
      typeof watch === 'string' && typeof labels === 'string'
        ? targetId(watch, JSON.parse(labels) as Record<string, string>)
        : null
    );
  }

  /** Records a trigger, or refreshes it; a closed one that fires again is open again. */
  openTrigger(trigger: HealingTrigger, at: number): { isNew: boolean; reopened: boolean } {
    const key = triggerKey(trigger);
    const existing = this.db.prepare('SELECT closed_at FROM healing_triggers WHERE key = ?').get(key) as
      { closed_at: number | null } | undefined;
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
    const row = this.db.prepare('SELECT trigger, opened_at, closed_at FROM healing_triggers WHERE key = ?').get(key) as
      { trigger: string; opened_at: number; closed_at: number | null } | undefined;
    return (
      row && {
        trigger: JSON.parse(row.trigger) as HealingTrigger,
        openedAt: row.opened_at,
        closedAt: opt(row.closed_at),
      }
    );
  }

  /** Undefined when this trigger already proposed this action on this target (deduplication). */
  insert(input: NewAction): number | undefined {
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO healing_actions (trigger_key, policy, gate, action_type, target, namespace, state, action, ladder, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?)`
      )
      .run(
        input.triggerKey,
        input.policy,
        input.gate,
        input.action.type,
        input.target,
        input.namespace ?? null,
        JSON.stringify(input.action),
        input.ladder ? JSON.stringify(input.ladder) : null,
        input.at,
        input.at
      );
    return info.changes === 1 ? Number(info.lastInsertRowid) : undefined;
  }

  get(id: number): StoredAction | undefined {
    const row = this.byId.get(id) as ActionRow | undefined;
    return row && toAction(row);
  }

  /** Moves the action from one of `from` to `to`; false when its state was not one of `from` (someone else moved it). */
  transition(id: number, from: ActionState[], to: ActionState, at: number, changes: ActionChanges = {}): boolean {
    const sets = ['state = @to', 'updated_at = @at'];
    const params: Record<string, unknown> = { id, to, at };
    const column = (name: string, key: string, value: unknown) => {
      sets.push(`${name} = @${key}`);
      params[key] = value;
    };
    if (changes.action) {
      column('action', 'action', json(changes.action));
    }
    if (changes.dryRun) {
      column('dry_run', 'dryRun', json(changes.dryRun));
    }
    if (changes.decisions) {
      column('decisions', 'decisions', json(changes.decisions));
    }
    if (changes.reason !== undefined) {
      column('reason', 'reason', changes.reason === null ? null : json(changes.reason));
    }
    if (changes.result) {
      column('result', 'result', json(changes.result));
    }
    if (changes.verification) {
      column('verification', 'verification', json(changes.verification));
    }
    if (changes.expiresAt !== undefined) {
      column('expires_at', 'expiresAt', changes.expiresAt);
    }
    if (changes.startedAt !== undefined) {
      column('started_at', 'startedAt', changes.startedAt);
    }
    if (changes.finishedAt !== undefined) {
      column('finished_at', 'finishedAt', changes.finishedAt);
    }
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
    return (
      this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM healing_actions
           WHERE substr(trigger_key, 1, length(@prefix)) = @prefix AND action_type = @type AND target = @target`
        )
        .get({ prefix, type, target }) as { n: number }
    ).n;
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
    return (
      this.db.prepare('SELECT id FROM healing_actions WHERE state = ? ORDER BY id').all(state) as Array<{ id: number }>
    ).map((r) => r.id);
  }

  /**
   * Actions that succeeded and wait for their verification: Kubernetes actions, and a notification
   * only as a ladder's step (the ladder has to know whether it ended with a recovery).
   */
  awaitingVerification(): number[] {
    return (
      this.db
        .prepare(
          `SELECT id FROM healing_actions WHERE state = 'succeeded' AND (action_type != 'notify' OR ladder IS NOT NULL) ORDER BY id`
        )
        .all() as Array<{ id: number }>
    ).map((r) => r.id);
  }

  expiredIds(now: number): number[] {
    return (
      this.db
        .prepare(`SELECT id FROM healing_actions WHERE state = 'awaiting_approval' AND expires_at <= ? ORDER BY id`)
        .all(now) as Array<{ id: number }>
    ).map((r) => r.id);
  }

  /** Kubernetes executions started since `since`, cluster-wide or in one namespace (notifications do not count). */
  countStartedSince(since: number, namespace?: string): number {
    const row = (
      namespace === undefined
        ? this.db
            .prepare(`SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= ? AND action_type != 'notify'`)
            .get(since)
        : this.db
            .prepare(
              `SELECT COUNT(*) AS n FROM healing_actions WHERE started_at >= ? AND action_type != 'notify' AND namespace = ?`
            )
            .get(since, namespace)
    ) as { n: number };
    return row.n;
  }

  /** Start times of this action on this target since `since`, newest first. */
  startsOn(target: string, type: PlannedAction['type'], since: number): number[] {
    return (
      this.db
        .prepare(
          'SELECT started_at FROM healing_actions WHERE target = ? AND action_type = ? AND started_at >= ? ORDER BY started_at DESC'
        )
        .all(target, type, since) as Array<{ started_at: number }>
    ).map((r) => r.started_at);
  }

  /** Another action of this type on this target that is still under way (proposed, waiting, approved or executing). */
  openOn(target: string, type: PlannedAction['type'], exceptId: number): number | undefined {
    const row = this.db
      .prepare(
        `SELECT id FROM healing_actions WHERE target = ? AND action_type = ? AND id != ?
           AND state IN ('proposed', 'awaiting_approval', 'approved', 'executing') ORDER BY id LIMIT 1`
      )
      .get(target, type, exceptId) as { id: number } | undefined;
    return row?.id;
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
    const total = (
      this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM healing_actions a JOIN healing_triggers t ON t.key = a.trigger_key${clause}`
        )
        .get(...params) as { n: number }
    ).n;
    const rows = this.db
      .prepare(`${SELECT}${clause} ORDER BY a.id DESC LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset) as ActionRow[];
    return { items: rows.map(toAction), total };
  }

  /**
   * Storm mode: how many distinct targets have an open trigger now (one per Kubernetes object, or
   * per label set when the trigger maps to none).
   */
  alarmingTargets(): number {
    return (
      this.db
        .prepare(
          `SELECT COUNT(DISTINCT COALESCE(json_extract(trigger, '$.object'), json_extract(trigger, '$.labels'))) AS n
             FROM healing_triggers WHERE closed_at IS NULL`
        )
        .get() as { n: number }
    ).n;
  }

  countInState(state: ActionState): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM healing_actions WHERE state = ?').get(state) as { n: number }).n;
  }

  // The node budget: nodes the engine cordoned (alone or as part of a drain) and has not given back.

  heldNodes(): Array<{ node: string; actionId: number }> {
    return (
      this.db.prepare('SELECT node, action_id FROM healing_nodes_held ORDER BY since').all() as Array<{
        node: string;
        action_id: number;
      }>
    ).map((r) => ({
      node: r.node,
      actionId: r.action_id,
    }));
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
