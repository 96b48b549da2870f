// The healing API shared by the backend (src/server/healing, its routes) and the app's Actions,
// Audit log and policy pages. Times are epoch milliseconds; durations are seconds.
import { z } from 'zod';
import { alertAnnotationsSchema, alertFieldSchema, alertLabelsSchema, alertUrlSchema } from './alertLimits';
import { failureModelSchema, k8sNameSchema as k8sName, labelsSchema, severitySchema } from './vocabulary';

export { failureModelSchema, severitySchema, type FailureModel, type Severity } from './vocabulary';

/** The Kubernetes object a target maps to (from the watch's mapping or an alert's labels). */
export const kubeObjectRefSchema = z
  .object({
    kind: z.enum(['deployment', 'statefulset', 'daemonset', 'pod', 'node']),
    namespace: k8sName.optional(),
    name: k8sName,
  })
  .refine((o) => o.kind === 'node' || o.namespace !== undefined, {
    message: 'a namespaced object needs its namespace',
    path: ['namespace'],
  });
export type KubeObjectRef = z.infer<typeof kubeObjectRefSchema>;

// ---------------------------------------------------------------------------------------------
// Triggers: what the engine is asked to heal.

/**
 * What the pipeline (an anomaly or a failure prediction) or the alert intake hands the engine.
 * `id` is stable for one anomaly or one alert (its fingerprint): the same id never proposes the
 * same action twice.
 */
export const healingTriggerSchema = z.object({
  source: z.enum(['anomaly', 'alert']),
  id: z.string().min(1).max(512),
  /** The watch that found it (anomalies), or the alert name (alerts). */
  watch: z.string().optional(),
  /** The target's labels (anomalies) or the alert's labels. */
  labels: labelsSchema,
  severity: severitySchema,
  failureModel: failureModelSchema.optional(),
  /** Anomaly score in [0, 1] when it was raised. */
  score: z.number().min(0).max(1).optional(),
  object: kubeObjectRefSchema.optional(),
  /** One line for people: the alert's summary, or what moved. */
  summary: z.string().optional(),
  startedAt: z.number(),
  /** A time-to-failure forecast's predicted crossing (epoch ms) when the target had one: counts prevented failures. */
  predictedFailureAt: z.number().optional(),
});
export type HealingTrigger = z.infer<typeof healingTriggerSchema>;

// ---------------------------------------------------------------------------------------------
// Actions as they run: what the Kubernetes module executes (its one declaration is here), plus
// `notify`, which talks to Grafana and a webhook instead.

const workloadRef = <K extends string>(kinds: readonly [K, ...K[]]) =>
  z.object({ kind: z.enum(kinds), namespace: k8sName, name: k8sName });

/** A Kubernetes action as a policy names it and the engine persists it. */
export const kubernetesActionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('scale'),
    target: workloadRef(['deployment', 'statefulset']),
    replicas: z.number().int().min(0).optional(),
    delta: z.number().int().optional(),
    ceiling: z.number().int().min(1),
    /** Pinned by the dry run: the count the change starts from; another count at execution supersedes it. */
    expectReplicas: z.number().int().min(0).optional(),
  }),
  z.object({
    type: z.literal('restart'),
    target: workloadRef(['deployment', 'statefulset', 'daemonset']),
    restartedAt: z.iso.datetime().optional(),
  }),
  z.object({
    type: z.literal('delete-pod'),
    namespace: k8sName,
    name: k8sName,
    gracePeriodSeconds: z.number().int().min(0).optional(),
    expectUid: z.string().min(1).optional(),
  }),
  z.object({ type: z.literal('cordon'), node: k8sName }),
  z.object({ type: z.literal('uncordon'), node: k8sName }),
  z.object({
    type: z.literal('drain'),
    node: k8sName,
    timeoutSeconds: z.number().int().positive().optional(),
    maxGracePeriodSeconds: z.number().int().min(0).optional(),
    evictUnmanaged: z.boolean().optional(),
    uncordonOnFailure: z.boolean().optional(),
  }),
]);
export type KubernetesAction = z.infer<typeof kubernetesActionSchema>;

export const plannedActionSchema = z.discriminatedUnion('type', [
  ...kubernetesActionSchema.options,
  z.object({ type: z.literal('notify'), message: z.string(), labels: labelsSchema.optional() }),
]);
export type PlannedAction = z.infer<typeof plannedActionSchema>;
export type ActionType = PlannedAction['type'];
export const actionTypeSchema = z.enum(['scale', 'restart', 'delete-pod', 'cordon', 'uncordon', 'drain', 'notify']);

// ---------------------------------------------------------------------------------------------
// Policies: which trigger gets which action, behind which gate.

export const gateSchema = z.enum(['auto', 'approve', 'dry-run']);
export type Gate = z.infer<typeof gateSchema>;

/**
 * The action a policy names; its target comes from the trigger's Kubernetes object (scale and
 * restart need a workload, delete-pod a pod, cordon/uncordon/drain a node).
 */
export const policyActionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('scale'),
      /** Add this many replicas (default 1), or set `replicas`. */
      delta: z.number().int().optional(),
      replicas: z.number().int().min(1).optional(),
      /** Never more than this (and never more than the safety limit's replica ceiling). */
      ceiling: z.number().int().min(1).optional(),
    })
    .refine((a) => a.delta === undefined || a.replicas === undefined, {
      message: 'either delta or replicas, not both',
      path: ['replicas'],
    }),
  z.object({ type: z.literal('restart') }),
  z.object({ type: z.literal('delete-pod'), gracePeriodSeconds: z.number().int().min(0).optional() }),
  z.object({ type: z.literal('cordon') }),
  z.object({ type: z.literal('uncordon') }),
  z.object({
    type: z.literal('drain'),
    timeoutSeconds: z.number().int().positive().optional(),
    maxGracePeriodSeconds: z.number().int().min(0).optional(),
    evictUnmanaged: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('notify'),
    /** Overrides the generated text; `{summary}`, `{severity}`, `{target}` are filled in. */
    message: z.string().max(2000).optional(),
  }),
]);
export type PolicyAction = z.infer<typeof policyActionSchema>;

/** Every condition given must hold; an empty match matches every trigger. */
export const policyMatchSchema = z.strictObject({
  /** Only triggers from this source. */
  source: z.enum(['anomaly', 'alert']).optional(),
  severities: z.array(severitySchema).optional(),
  failureModels: z.array(failureModelSchema).optional(),
  /** The Kubernetes object's namespace is one of these. */
  namespaces: z.array(z.string().min(1)).optional(),
  /** The anomaly came from one of these watches. */
  watches: z.array(z.string().min(1)).optional(),
  /** The target's labels include all of these (equality). */
  labels: labelsSchema.optional(),
  /** Only alerts, whose labels include all of these (equality), e.g. `{alertname: KubePodCrashLooping}`. */
  alertLabels: labelsSchema.optional(),
});
export type PolicyMatch = z.infer<typeof policyMatchSchema>;

/** One step of an escalation ladder: its action, its gate, and how long it has to work before the next step. */
export const ladderStepSchema = z.strictObject({
  action: policyActionSchema,
  gate: gateSchema.default('approve'),
  /** How long after this step the signal has to recover; the safety limits' verification window when absent. */
  verifySeconds: z.number().int().positive().optional(),
});
export type LadderStep = z.infer<typeof ladderStepSchema>;

export const policySchema = z.strictObject({
  /** Unique; actions refer to the policy by name. */
  name: z.string().min(1).max(100),
  description: z.string().max(1000).optional(),
  enabled: z.boolean().default(true),
  match: policyMatchSchema.default({}),
  action: policyActionSchema,
  gate: gateSchema.default('approve'),
  /** How long a proposal waits for an approval before it expires; the safety limits' default when absent. */
  approvalTimeoutSeconds: z.number().int().positive().optional(),
  /**
   * An escalation ladder: what to try next, in order, when `action` (the first step) did not
   * recover the target within its verification window. Stops at the first recovery, at its end,
   * or when a step is rejected. A trigger runs an action on a target once, so each step takes
   * another action type.
   */
  steps: z
    .array(ladderStepSchema)
    .max(10)
    .optional()
    .refine(
      (steps) => !steps || new Set(steps.map((s) => s.action.type)).size === steps.length,
      'each step of a ladder takes another action type'
    ),
  /** The first step's verification window (ladders only); the safety limits' when absent. */
  verifySeconds: z.number().int().positive().optional(),
  /** Gate `auto` holds only inside these windows; outside, its actions wait for approval. Absent: always. */
  autoWindows: z.lazy(() => autoWindowsSchema).optional(),
});
export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

export const policyListSchema = z
  .array(policySchema)
  .max(200)
  .refine((list) => new Set(list.map((p) => p.name)).size === list.length, { message: 'policy names must be unique' })
  .refine((list) => list.every((p) => !p.steps?.some((s) => s.action.type === p.action.type)), {
    error: "a ladder's steps take other action types than the policy's first action",
  });

/** GET /api/policies. `source` says where they came from: the store wins over the config file once an admin saved them. */
export const policiesResponseSchema = z.object({
  policies: z.array(policySchema),
  source: z.enum(['default', 'config', 'store']),
  updatedAt: z.number().optional(),
  updatedBy: z.string().optional(),
});
export type PoliciesResponse = z.infer<typeof policiesResponseSchema>;

/** PUT /api/admin/policies replaces the whole list. */
export const putPoliciesBodySchema = z.object({ policies: policyListSchema });
export type PutPoliciesBody = z.input<typeof putPoliciesBodySchema>;

// ---------------------------------------------------------------------------------------------
// Maintenance: when automatic actions hold (time windows, namespace pauses).

export const weekdaySchema = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Weekday = z.infer<typeof weekdaySchema>;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'a time of day as HH:MM (00:00-23:59)' });

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Weekdays from-to in local time; `to` before `from` runs past midnight into the next day. */
export const timeWindowSchema = z
  .strictObject({
    days: z.array(weekdaySchema).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
    from: clockTime,
    to: clockTime,
  })
  .refine((w) => w.from !== w.to, { error: 'from and to must differ', path: ['to'] });
export type TimeWindow = z.infer<typeof timeWindowSchema>;

/** E.g. `{timeZone: 'Europe/Berlin', windows: [{days: [mon, ..., fri], from: '08:00', to: '18:00'}]}`. */
export const autoWindowsSchema = z.strictObject({
  timeZone: z.string().default('UTC').refine(isTimeZone, { error: 'an IANA time zone such as Europe/Berlin or UTC' }),
  windows: z.array(timeWindowSchema).min(1).max(20),
});
export type AutoWindows = z.infer<typeof autoWindowsSchema>;

/** A namespace where automatic actions are paused (they wait for approval); set by an Admin. */
export const namespacePauseSchema = z.strictObject({
  namespace: k8sName,
  reason: z.string().max(1000).optional(),
  by: z.string().optional(),
  at: z.number().optional(),
});
export type NamespacePause = z.infer<typeof namespacePauseSchema>;

/** GET /api/namespace-pauses; PUT /api/admin/namespace-pauses replaces the list. */
export const namespacePausesSchema = z.object({ pauses: z.array(namespacePauseSchema).max(500) });
export type NamespacePauses = z.infer<typeof namespacePausesSchema>;
export const putNamespacePausesBodySchema = z.object({
  pauses: z
    .array(namespacePauseSchema.pick({ namespace: true, reason: true }))
    .max(500)
    .refine((list) => new Set(list.map((p) => p.namespace)).size === list.length, {
      error: 'each namespace once',
    }),
});
export type PutNamespacePausesBody = z.infer<typeof putNamespacePausesBodySchema>;

// ---------------------------------------------------------------------------------------------
// Safety limits: they hold whatever a policy says.

export const safetyLimitsSchema = z.strictObject({
  /** After an action ran on a target, the same action on the same target waits this long. */
  cooldownSeconds: z.number().int().min(0).default(900),
  /** Executions started per rolling hour, across the cluster. */
  maxActionsPerHour: z.number().int().min(0).default(20),
  /** Executions started per rolling hour in one namespace (node actions count as namespace "(cluster)"). */
  maxActionsPerHourPerNamespace: z.number().int().min(0).default(5),
  /** Nodes cordoned or draining by the engine at the same time; a further drain waits. */
  maxNodesDisrupted: z.number().int().min(0).default(1),
  /** No scale goes past this, whatever the policy says; nothing ever goes below 1. */
  replicaCeiling: z.number().int().min(1).default(20),
  /** Namespaces the engine may act in (`*`: all); `deny` wins. kube-system is denied by default. */
  namespaces: z
    .strictObject({
      allow: z.array(z.string().min(1)).default(['*']),
      deny: z.array(z.string().min(1)).default(['kube-system']),
    })
    .default({ allow: ['*'], deny: ['kube-system'] }),
  /** The same fix on the same target this many times within the window opens the breaker: no more of it. */
  circuitBreaker: z
    .strictObject({
      maxRepeats: z.number().int().min(1).default(3),
      windowSeconds: z.number().int().positive().default(86_400),
    })
    .default({ maxRepeats: 3, windowSeconds: 86_400 }),
  /** A proposal waiting for approval longer than this expires. */
  approvalTimeoutSeconds: z.number().int().positive().default(3600),
  /** After an action, how long the triggering signal has to recover, and below which score it counts as recovered. */
  verification: z
    .strictObject({
      settleSeconds: z.number().int().min(0).default(60),
      windowSeconds: z.number().int().positive().default(900),
      recoveredBelowScore: z.number().min(0).max(1).default(0.5),
    })
    .default({ settleSeconds: 60, windowSeconds: 900, recoveredBelowScore: 0.5 }),
  /**
   * Pods of one workload down at once (deleted, restarting, not Ready) as a share of its desired
   * replicas, and the share of Ready pods a delete or restart never goes below. Absent: not limited.
   */
  workloadDisruption: z
    .strictObject({
      maxUnavailablePercent: z.number().min(1).max(100).optional(),
      minHealthyPercent: z.number().min(0).max(100).optional(),
    })
    .default({}),
  /**
   * Nodes: `maxPercent` of them cordoned or draining by the engine (instead of `maxNodesDisrupted`
   * when given), and never fewer Ready, schedulable nodes than `minReadyPercent` of all.
   */
  nodeDisruption: z
    .strictObject({
      maxPercent: z.number().min(1).max(100).optional(),
      minReadyPercent: z.number().min(0).max(100).default(51),
    })
    .default({ minReadyPercent: 51 }),
  /** Storm mode: more targets alarming at once than this pauses automatic actions (they wait for approval). */
  storm: z
    .strictObject({ maxAlarmingTargets: z.number().int().min(1).default(50) })
    .default({ maxAlarmingTargets: 50 }),
});
export type SafetyLimits = z.infer<typeof safetyLimitsSchema>;
export type SafetyLimitsInput = z.input<typeof safetyLimitsSchema>;

export const safetyLimitsResponseSchema = z.object({
  limits: safetyLimitsSchema,
  source: z.enum(['default', 'config', 'store']),
  updatedAt: z.number().optional(),
  updatedBy: z.string().optional(),
});
export type SafetyLimitsResponse = z.infer<typeof safetyLimitsResponseSchema>;

/** GET /api/kill-switch; PUT /api/admin/kill-switch takes `{engaged, reason}`. */
export const killSwitchSchema = z.object({
  /** When engaged nothing executes; proposals are still recorded, approved actions are blocked. */
  engaged: z.boolean(),
  reason: z.string().optional(),
  changedBy: z.string().optional(),
  changedAt: z.number().optional(),
});
export type KillSwitch = z.infer<typeof killSwitchSchema>;

export const putKillSwitchBodySchema = z.object({ engaged: z.boolean(), reason: z.string().max(1000).optional() });
export type PutKillSwitchBody = z.infer<typeof putKillSwitchBodySchema>;

// ---------------------------------------------------------------------------------------------
// Circuit breakers: a target that keeps needing the same fix. While open, automatic actions on it
// wait for approval; an Editor closes it (POST /api/breakers/close), which restarts the count.

export const breakerSchema = z.object({
  id: z.number().int(),
  target: z.string(),
  /** The fix that kept coming back. */
  actionType: actionTypeSchema,
  /** How many times it ran within the window when the breaker opened. */
  repeats: z.number().int().min(0),
  windowSeconds: z.number().int().positive(),
  /** The action that found it open (it waits for approval). */
  actionId: z.number().int(),
  openedAt: z.number(),
  closedAt: z.number().optional(),
  closedBy: z.string().optional(),
  comment: z.string().optional(),
});
export type Breaker = z.infer<typeof breakerSchema>;

/** GET /api/breakers: the open ones. */
export const breakerListSchema = z.object({ items: z.array(breakerSchema) });
export type BreakerList = z.infer<typeof breakerListSchema>;

/** POST /api/breakers/close (Editor). */
export const closeBreakerBodySchema = z.object({
  target: z.string().min(1).max(600),
  comment: z.string().max(2000).optional(),
});
export type CloseBreakerBody = z.infer<typeof closeBreakerBodySchema>;

// ---------------------------------------------------------------------------------------------
// The action record.

/**
 * proposed → awaiting_approval → approved | rejected | expired; approved → executing →
 * succeeded | failed; succeeded → verified | not_recovered. Besides: `dry_run` (the policy's gate
 * is dry-run: recorded, never run), `blocked` (a safety limit refused it: see `reason`),
 * `cancelled` (its trigger was no longer true when it was about to run), `superseded` (the cluster
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
  'namespace-denied',
  'node-budget',
  'replica-ceiling',
  'circuit-breaker',
  'kill-switch',
  'duplicate',
  'trigger-resolved',
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
});
export type Reason = z.infer<typeof reasonSchema>;

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
      skip: z.array(podRefSchema.extend({ why: z.string() })),
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
  /** The Kubernetes module's result (scale from/to, drain report, ...) or the notification targets. */
  details: z.unknown().optional(),
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

const pagingSchema = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

/** A comma-separated list in a query string, e.g. `?state=awaiting_approval,approved`. */
const csv = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    )
    .pipe(z.array(item));

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
  triggerTarget: z.string().optional(),
  ...pagingSchema,
});
export type ActionListQuery = z.input<typeof actionListQuerySchema>;

export const actionListSchema = z.object({ items: z.array(actionSchema), total: z.number().int() });
export type ActionList = z.infer<typeof actionListSchema>;

export const actionIdParamsSchema = z.object({ id: z.coerce.number().int().positive() });

/** POST /api/actions/:id/approve and /reject. */
export const decisionBodySchema = z.object({ comment: z.string().max(2000).optional() });
export type DecisionBody = z.infer<typeof decisionBodySchema>;

// ---------------------------------------------------------------------------------------------
// Proof of value: what the actions of each policy did, from the store (GET /api/outcomes).

export const policyOutcomeSchema = z.object({
  policy: z.string(),
  action: actionTypeSchema,
  /** Executions started. */
  executed: z.number().int(),
  /** Verified: the signal recovered within the verification window. */
  recovered: z.number().int(),
  notRecovered: z.number().int(),
  /** The execution itself failed. */
  failed: z.number().int(),
  /** Median seconds from the start of the action to the recovery; null before the first recovery. */
  medianRecoverySeconds: z.number().nullable(),
  /** Taken on a time-to-failure prediction, and the target recovered before the predicted crossing. */
  prevented: z.number().int(),
});
export type PolicyOutcome = z.infer<typeof policyOutcomeSchema>;

export const outcomeListSchema = z.object({ items: z.array(policyOutcomeSchema) });
export type OutcomeList = z.infer<typeof outcomeListSchema>;

// ---------------------------------------------------------------------------------------------
// The audit log: append-only.

export const auditKindSchema = z.enum([
  'proposed',
  'dry_run',
  'approved',
  'rejected',
  'expired',
  'blocked',
  /** An approved action waits for a limit to free (the node budget); it runs when it does. */
  'waiting',
  'cancelled',
  /** The cluster changed since the approval: the approved change was not made (the reason says what changed). */
  'superseded',
  'executing',
  'kubernetes',
  'succeeded',
  'failed',
  'reconciled',
  'verified',
  'not_recovered',
  'notified',
  'trigger_opened',
  'trigger_closed',
  'policy_skipped',
  'kill_switch',
  'policies_changed',
  'limits_changed',
  /** Which Kubernetes the engine acts on changed (saved in Grafana, or reset to the backend's config). */
  'kubernetes_changed',
  /** The watches saved in Grafana, or reset to the backend's file or default watches. */
  'watches_changed',
  /** An escalation ladder proposed its next step, or stopped (recovered, rejected, at its end). */
  'ladder',
  /** A target's circuit breaker opened (automatic actions there wait for approval) or an Editor closed it. */
  'breaker_opened',
  'breaker_closed',
  /** An action awaiting approval was announced where people are (with a link to it). */
  'approval_requested',
  /** Storm mode began or ended: automatic actions paused while too many targets alarm at once. */
  'storm',
  /** An Admin paused or resumed automatic actions in namespaces. */
  'namespaces_paused',
  /** A drain stopped at a safe point when its window closed; it resumes in the next one. */
  'paused',
]);
export type AuditKind = z.infer<typeof auditKindSchema>;

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.number(),
  kind: auditKindSchema,
  actionId: z.number().int().optional(),
  triggerId: z.string().optional(),
  user: z.string().optional(),
  comment: z.string().optional(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** GET /api/audit; `format=csv|jsonl` exports every matching entry (paging ignored) as a download. */
export const auditQuerySchema = z.object({
  actionId: z.coerce.number().int().positive().optional(),
  triggerId: z.string().optional(),
  kind: csv(auditKindSchema).optional(),
  user: z.string().optional(),
  from: z.coerce.number().optional(),
  to: z.coerce.number().optional(),
  format: z.enum(['json', 'csv', 'jsonl']).default('json'),
  ...pagingSchema,
});
export type AuditQuery = z.input<typeof auditQuerySchema>;

export const auditListSchema = z.object({ items: z.array(auditEntrySchema), total: z.number().int() });
export type AuditList = z.infer<typeof auditListSchema>;

/** POST /api/admin/test/kubernetes: optionally an action to dry-run; answers in words. */
export const kubernetesTestBodySchema = z.object({ action: plannedActionSchema.optional() }).optional();
export const kubernetesTestResponseSchema = z.object({ ok: z.boolean(), message: z.string() });
export type KubernetesTestResponse = z.infer<typeof kubernetesTestResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Alert intake: POST /api/alerts, the webhook Alertmanager (version "4") and Grafana alerting's
// webhook contact point (version "1", a superset with orgId, title, state, message) send.

export const alertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: alertLabelsSchema,
  annotations: alertAnnotationsSchema.default({}),
  startsAt: alertFieldSchema.optional(),
  endsAt: alertFieldSchema.optional(),
  generatorURL: alertUrlSchema.optional(),
  /** Alertmanager and Grafana both send it; derived from the labels when absent. */
  fingerprint: alertFieldSchema.optional(),
});
export type AlertmanagerAlert = z.infer<typeof alertmanagerAlertSchema>;

export const alertmanagerWebhookSchema = z.object({
  version: alertFieldSchema.optional(),
  groupKey: alertFieldSchema.optional(),
  truncatedAlerts: z.number().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: alertFieldSchema.optional(),
  groupLabels: alertLabelsSchema.optional(),
  commonLabels: alertLabelsSchema.optional(),
  commonAnnotations: alertAnnotationsSchema.optional(),
  externalURL: alertUrlSchema.optional(),
  alerts: z.array(alertmanagerAlertSchema).max(10_000),
});
export type AlertmanagerWebhook = z.input<typeof alertmanagerWebhookSchema>;

export const alertIntakeResponseSchema = z.object({
  firing: z.number().int(),
  resolved: z.number().int(),
  /** Actions proposed for the firing alerts (ids). */
  proposed: z.array(z.number().int()),
});
export type AlertIntakeResponse = z.infer<typeof alertIntakeResponseSchema>;
