// The action record.
import { z } from 'zod';
import { actionTypeSchema, plannedActionSchema } from './actions';
import { gateSchema } from './policy';
import { csv, pageLinksSchema, pagingSchema } from './query';
import { kubeActionResultSchema, notifyResultSchema, reconciliationSchema } from './results';
import { healingTriggerSchema } from './trigger';
import { targetParamSchema, wholeNumberParamSchema } from '../vocabulary';

/**
 * proposed → awaiting_approval → approved | rejected | expired; approved → executing →
 * succeeded | failed; succeeded → verified | not_recovered. Besides: `dry_run` (the policy's gate
 * is dry-run: recorded, never run), `blocked` (a safety limit refused it: see `reason`),
 * `cancelled` (its trigger was no longer true when it was about to run, an Admin changed its
 * policy so that it no longer would propose or run it, or an operator marked its anomaly a false
 * positive before it started), `superseded` (the cluster
 * changed since the approval, so the approved change no longer applies: not run, and proposed
 * again from what the cluster is now when its policy still applies).
 */
export const actionStateSchema = z.enum([
  'proposed',
  'awaiting_approval',
  'approved',
  'rejected',
  'expired',
  'dry_run',
  'blocked',
  'cancelled',
  /** The cluster changed since the approval: the approved change was not made (the reason says what changed). */
  'superseded',
  'executing',
  'succeeded',
  'failed',
  'verified',
  'not_recovered',
]);
export type ActionState = z.infer<typeof actionStateSchema>;

/** Which safety limit, check or error stopped an action. */
export const reasonKindSchema = z.enum([
  'cooldown',
  'rate-limit',
  'namespace-rate-limit',
  /** A notification about a target that was told within the repeat interval. */
  'notification-repeat',
  /** The notifications' hourly cap is reached: held back, not sent. */
  'notification-rate-limit',
  'namespace-denied',
  'node-budget',
  'replica-ceiling',
  'circuit-breaker',
  'kill-switch',
  'duplicate',
  'trigger-resolved',
  /** An Admin deleted, disabled or changed the action's policy since it was proposed. */
  'policy-changed',
  /**
   * An operator marked the action's anomaly a false positive (the message names who) before it
   * started: it is withdrawn, and the anomaly proposes nothing more until an operator confirms it.
   */
  'false-positive',
  'dry-run-failed',
  'kubernetes',
  'not-configured',
  'notification',
  'nothing-to-do',
  'reconcile',
  /** The cluster is no longer what the approved dry run saw (another replica count, another pod, a node already cordoned). */
  'superseded',
  /** Too many of the workload's pods are down, or it would fall below its healthy floor: waits. */
  'workload-disruption',
  /** Why `auto` waits for approval: storm mode, an Alertmanager silence, outside the policy's window, a paused namespace. */
  'storm',
  'silenced',
  'outside-window',
  'namespace-paused',
]);
export type ReasonKind = z.infer<typeof reasonKindSchema>;

export const reasonSchema = z.object({
  kind: reasonKindSchema,
  message: z.string(),
  /** For `kubernetes`: the Kubernetes module's error kind (forbidden, conflict, timeout, ...). */
  errorKind: z.string().optional(),
  status: z.number().optional(),
  /**
   * For a hold (a paused namespace, storm mode, an open circuit breaker): when it began, epoch ms.
   * Kept out of `message`, so the app can say it in the viewer's time zone.
   */
  since: z.number().optional(),
});
export type Reason = z.infer<typeof reasonSchema>;

/** A reason as one line: its message, then since when, as `time` writes it (UTC ISO in logs, the viewer's zone in the app). */
export const reasonText = (reason: Pick<Reason, 'message' | 'since'>, time: (ms: number) => string): string =>
  reason.since === undefined ? reason.message : `${reason.message} (since ${time(reason.since)})`;

const podRefSchema = z.object({ namespace: z.string(), name: z.string() });

/** What the server-side dry run (`dryRun=All`) said the action would do. */
export const dryRunRecordSchema = z.object({
  ok: z.boolean(),
  at: z.number(),
  summary: z.string(),
  /** Fields that would change, e.g. `{field: "deployment shop/cart replicas", from: "3", to: "5"}`. */
  changes: z.array(z.object({ field: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
  /** For a drain: pods it would evict, skip, or find blocked by a PodDisruptionBudget right now. */
  pods: z
    .object({
      evict: z.array(podRefSchema),
      skip: z.array(podRefSchema.extend({ why: z.string(), since: z.number().optional() })),
      blocked: z.array(podRefSchema.extend({ why: z.string() })),
    })
    .optional(),
  error: reasonSchema.optional(),
});
export type DryRunRecord = z.infer<typeof dryRunRecordSchema>;

export const decisionSchema = z.object({
  decision: z.enum(['approved', 'rejected']),
  /** The Grafana user (X-Grafana-User), or "(api token)" when called without Grafana. */
  user: z.string(),
  comment: z.string().optional(),
  at: z.number(),
});
export type Decision = z.infer<typeof decisionSchema>;

export const executionResultSchema = z.object({
  ok: z.boolean(),
  summary: z.string(),
  /** The Kubernetes module's result (scale from/to, drain report, ...), a reconciliation, or the notification targets. */
  details: z.union([kubeActionResultSchema, reconciliationSchema, notifyResultSchema]).optional(),
  error: reasonSchema.optional(),
});
export type ExecutionResult = z.infer<typeof executionResultSchema>;

export const verificationSchema = z.object({
  recovered: z.boolean(),
  message: z.string(),
  score: z.number().optional(),
  at: z.number(),
});
export type Verification = z.infer<typeof verificationSchema>;

/** Where an action stands in its policy's escalation ladder, and the steps that came before (kept as they ended). */
export const ladderPositionSchema = z.object({
  policy: z.string(),
  /** 1-based. */
  step: z.number().int().min(1),
  steps: z.number().int().min(1),
  /** This step's verification window. */
  verifySeconds: z.number().int().positive(),
  previous: z.array(
    z.object({
      actionId: z.number().int(),
      step: z.number().int().min(1),
      type: actionTypeSchema,
      state: actionStateSchema,
      /** Why it was not enough (its verification). */
      outcome: z.string(),
    })
  ),
});
export type LadderPosition = z.infer<typeof ladderPositionSchema>;

export const actionSchema = z.object({
  id: z.number().int(),
  state: actionStateSchema,
  trigger: healingTriggerSchema,
  policy: z.string(),
  gate: gateSchema,
  /** What runs: the proposal, pinned by its dry run (a delta becomes a count). */
  action: plannedActionSchema,
  /** "deployment shop/cart", "node n1". */
  target: z.string(),
  namespace: z.string().optional(),
  dryRun: dryRunRecordSchema.optional(),
  decisions: z.array(decisionSchema),
  /** Why it was blocked, cancelled, expired or failed. */
  reason: reasonSchema.optional(),
  result: executionResultSchema.optional(),
  verification: verificationSchema.optional(),
  /** Set when the action is a step of its policy's escalation ladder. */
  ladder: ladderPositionSchema.optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
  expiresAt: z.number().optional(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
});
export type Action = z.infer<typeof actionSchema>;

/** GET /api/actions */
export const actionListQuerySchema = z.object({
  state: csv(actionStateSchema).optional(),
  policy: z.string().optional(),
  namespace: z.string().optional(),
  triggerId: z.string().optional(),
  /**
   * Actions raised by the anomalies of one pipeline target: its id (`<watch>{label="value",...}`,
   * as GET /api/targets gives it), matched exactly against the id the trigger's watch and labels
   * make. Actions raised by alerts belong to no pipeline target.
   */
  triggerTarget: targetParamSchema.optional(),
  ...pagingSchema,
});
/**
 * GET /api/actions's query as a client builds it: the text parameters as sent, and `limit` and `offset`
 * as numbers, which its params send as `String(number)` (the decimal digits the route reads).
 */
export type ActionListQuery = Omit<z.input<typeof actionListQuerySchema>, 'limit' | 'offset'> & {
  limit?: number;
  offset?: number;
};

export const actionListSchema = z.object({ items: z.array(actionSchema), total: z.number().int(), ...pageLinksSchema });
export type ActionList = z.infer<typeof actionListSchema>;

/** An action's id in a path (`/api/actions/7`), in decimal digits only: `1e2` or `0x10` is no id. */
export const actionIdParamsSchema = z.object({
  id: wholeNumberParamSchema(z.number().int().positive()),
});

/** POST /api/actions/:id/approve and /reject. */
export const decisionBodySchema = z.object({ comment: z.string().max(2000).optional() });
export type DecisionBody = z.infer<typeof decisionBodySchema>;
