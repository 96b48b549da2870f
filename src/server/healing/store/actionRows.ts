import { apiFields, decodeRow, jsonColumn, optional } from '../../store/rows';
import { z } from 'zod';
import {
  actionStateSchema,
  decisionSchema,
  dryRunRecordSchema,
  executionResultSchema,
  gateSchema,
  healingTriggerSchema,
  ladderPositionSchema,
  plannedActionSchema,
  reasonSchema,
  verificationSchema,
  actionTypeSchema,
  type Action,
  type ActionState,
  type HealingTrigger,
  type DryRunRecord,
  type Decision,
  type ExecutionResult,
  type Gate,
  type LadderPosition,
  type PlannedAction,
  type Reason,
  type Verification,
} from '../../../contract/healing';
import { drainProgressSchema, type DrainProgress } from '../../kubernetes/drainProgress';
import { targetId } from '../../pipeline/targets';
import type { HeldNode, OutcomeRow } from './repositories';

/** An action with what only the engine needs besides the API's view of it. */
export interface StoredAction extends Action {
  triggerKey: string;
  /** A drain's progress, persisted after each eviction so a restart resumes instead of evicting again. */
  progress?: DrainProgress;
  /** The replica that claimed it for execution (the PostgreSQL store). */
  claimedBy?: string;
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
  /** null: a notify attempt that reached no one gives its start back (notifyAttempts.ts). */
  startedAt?: number | null;
  finishedAt?: number;
}

/** ActionChanges key → column; JSON columns are written as JSON text. */
export const CHANGE_COLUMNS: Record<keyof ActionChanges, { column: string; json: boolean }> = {
  action: { column: 'action', json: true },
  dryRun: { column: 'dry_run', json: true },
  decisions: { column: 'decisions', json: true },
  reason: { column: 'reason', json: true },
  result: { column: 'result', json: true },
  verification: { column: 'verification', json: true },
  expiresAt: { column: 'expires_at', json: false },
  startedAt: { column: 'started_at', json: false },
  finishedAt: { column: 'finished_at', json: false },
};

/** The columns a transition sets, with their values as the store takes them (undefined: left alone; null: cleared). */
export function changedColumns(changes: ActionChanges): Array<{ column: string; value: unknown }> {
  return (Object.entries(changes) as Array<[keyof ActionChanges, unknown]>)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const { column, json } = CHANGE_COLUMNS[key];
      return { column, value: json && value !== null ? JSON.stringify(value) : value };
    });
}

/**
 * A `healing_actions` row joined with its trigger, as either store reads it back: JSON columns as
 * text (PostgreSQL selects them `::text`); columns one store lacks are absent. In the order of an
 * action's fields on the wire.
 */
const actionRowSchema = z.object({
  id: z.number().int(),
  state: actionStateSchema,
  trigger: jsonColumn(healingTriggerSchema),
  trigger_key: z.string(),
  policy: z.string(),
  gate: gateSchema,
  action: jsonColumn(plannedActionSchema),
  target: z.string(),
  namespace: optional(z.string()),
  dry_run: optional(jsonColumn(dryRunRecordSchema)),
  decisions: jsonColumn(z.array(decisionSchema)),
  reason: optional(jsonColumn(reasonSchema)),
  progress: optional(jsonColumn(drainProgressSchema)),
  result: optional(jsonColumn(executionResultSchema)),
  verification: optional(jsonColumn(verificationSchema)),
  ladder: optional(jsonColumn(ladderPositionSchema)),
  claimed_by: optional(z.string()),
  created_at: z.number(),
  updated_at: z.number(),
  expires_at: optional(z.number()),
  started_at: optional(z.number()),
  finished_at: optional(z.number()),
});

/** Checks an action row as either store gives it back. */
export function readAction(row: unknown): StoredAction {
  return apiFields(decodeRow(actionRowSchema, 'healing_actions', row));
}

/** A proposal's columns in both stores' INSERT order: trigger_key, policy, gate, action_type, target, namespace, action. */
export const proposalValues = (input: NewAction) => [
  input.triggerKey,
  input.policy,
  input.gate,
  input.action.type,
  input.target,
  input.namespace ?? null,
  JSON.stringify(input.action),
];

export const triggerKey = (trigger: Pick<HealingTrigger, 'source' | 'id'>) => `${trigger.source}:${trigger.id}`;

/**
 * Why an action gave its place under its trigger up: superseded (proposed again from what the cluster
 * is now), withdrawn as a false positive (proposed again once its anomaly is confirmed), or resolved:
 * it ended in an episode of an alert that resolved and fires again (proposed again in the new episode).
 */
export type ArchivedAs = 'superseded' | 'withdrawn' | 'resolved';
/** What follows, in an archive key, the key it was archived from: `#superseded-`, `#withdrawn-`, ... */
export const archiveMarker = (as: ArchivedAs) => `#${as}-`;
/** The archive key of the trigger of an action that gave its place up: `<key>#superseded-<id>`, `<key>#withdrawn-<id>`. */
export const archivedKey = (key: string, id: number, as: ArchivedAs = 'superseded') =>
  `${key}${archiveMarker(as)}${id}`;

/**
 * The target id of an anomaly trigger, from its watch and labels the way the pipeline computes it
 * (label order, quoting), for the triggerTarget filter; null for other triggers.
 */
export function triggerTargetOf(trigger: Pick<HealingTrigger, 'source' | 'watch' | 'labels'>): string | null {
  return trigger.source === 'anomaly' && trigger.watch !== undefined ? targetId(trigger.watch, trigger.labels) : null;
}

/** The states in which an action is still under way (one per trigger, type and target at a time). */
export const OPEN_STATES: ActionState[] = ['proposed', 'awaiting_approval', 'approved', 'executing'];

/**
 * The states an action never leaves (the lifecycle in the contract's actionRecord.ts). `succeeded` is
 * not one: it waits for its verification, except a notification outside a ladder, which never has one.
 */
export const FINISHED_STATES: ActionState[] = actionStateSchema.options.filter(
  (state) => state !== 'succeeded' && !OPEN_STATES.includes(state)
);

/**
 * Whether an action will change no more: in a state it never leaves, or a notification that succeeded
 * outside a ladder (it has no verification to wait for). finishedSql says the same of a row, in SQL:
 * the two are checked against each other on every state in test/store/tidy37Finished.test.ts.
 */
export const finished = (action: Pick<StoredAction, 'state' | 'action' | 'ladder'>): boolean =>
  FINISHED_STATES.includes(action.state) ||
  (action.state === 'succeeded' && action.action.type === 'notify' && !action.ladder);

/** `finished` of the healing_actions row aliased `a`, as both stores' SQL (the healing prune's). */
export const finishedSql = (a: string): string =>
  `(${a}.state IN (${FINISHED_STATES.map((s) => `'${s}'`).join(', ')})` +
  ` OR (${a}.state = 'succeeded' AND ${a}.action_type = 'notify' AND ${a}.ladder IS NULL))`;

/** An outcome row as both stores select it (verified_at and predicted_failure_at read out of the JSON columns). */
export const outcomeRowSchema = z
  .object({
    policy: z.string(),
    action_type: actionTypeSchema,
    state: actionStateSchema,
    started_at: z.number(),
    verified_at: z.number().nullable(),
    closed_at: z.number().nullable(),
    predicted_failure_at: z.number().nullable(),
  })
  .transform((r): OutcomeRow => apiFields(r));

export const namespaceCountRow = z.object({ namespace: z.string(), n: z.number() });
export const heldNodeRow = z
  .object({ node: z.string(), action_id: z.number().int() })
  .transform((r): HeldNode => apiFields(r));
export const startedAtRow = z.object({ started_at: z.number() });
export const closedAtRow = z.object({ closed_at: z.number().nullable() });
export const triggerRowSchema = z.object({
  trigger: jsonColumn(healingTriggerSchema),
  opened_at: z.number(),
  closed_at: optional(z.number()),
});
