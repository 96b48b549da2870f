import { decodeRow } from '../../store/rows';
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
  type Action,
  type DryRunRecord,
  type Decision,
  type ExecutionResult,
  type Gate,
  type LadderPosition,
  type PlannedAction,
  type Reason,
  type Verification,
} from '../../../contract/healing';
import { drainProgressSchema, type DrainProgress } from '../../kubernetes';
import { optional, parseJsonColumns } from './rows';

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
  startedAt?: number;
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

/** A `healing_actions` row joined with its trigger, as either store reads it back (columns one store lacks are absent). */
const actionRowSchema = z.object({
  id: z.number().int(),
  trigger_key: z.string(),
  trigger: healingTriggerSchema,
  policy: z.string(),
  gate: gateSchema,
  target: z.string(),
  namespace: optional(z.string()),
  state: actionStateSchema,
  action: plannedActionSchema,
  dry_run: optional(dryRunRecordSchema),
  decisions: z.array(decisionSchema),
  reason: optional(reasonSchema),
  progress: optional(drainProgressSchema),
  result: optional(executionResultSchema),
  verification: optional(verificationSchema),
  ladder: optional(ladderPositionSchema),
  claimed_by: optional(z.string()),
  created_at: z.number(),
  updated_at: z.number(),
  expires_at: optional(z.number()),
  started_at: optional(z.number()),
  finished_at: optional(z.number()),
});

const JSON_COLUMNS = [
  'trigger',
  'action',
  'dry_run',
  'decisions',
  'reason',
  'progress',
  'result',
  'verification',
  'ladder',
] as const;

/** Checks an action row (JSON columns as text, as SQLite keeps them, or parsed, as PostgreSQL gives them). */
export function readAction(row: unknown): StoredAction {
  const r = decodeRow(actionRowSchema, 'healing_actions', parseJsonColumns(row, JSON_COLUMNS));
  return {
    id: r.id,
    state: r.state,
    trigger: r.trigger,
    triggerKey: r.trigger_key,
    policy: r.policy,
    gate: r.gate,
    action: r.action,
    target: r.target,
    namespace: r.namespace,
    dryRun: r.dry_run,
    decisions: r.decisions,
    reason: r.reason,
    progress: r.progress,
    result: r.result,
    verification: r.verification,
    ...(r.ladder ? { ladder: r.ladder } : {}),
    ...(r.claimed_by !== undefined ? { claimedBy: r.claimed_by } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    expiresAt: r.expires_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
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
