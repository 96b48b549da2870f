// Policies: which trigger gets which action, behind which gate.
import { z } from 'zod';
import { failureModelSchema, labelMatchProblem, labelsSchema, namespacesNamed, severitySchema } from '../vocabulary';
import { watchNameProblem } from '../watches';
import { autoWindowsSchema } from './maintenance';
import { DAY_SECONDS, REPLICAS_MAX } from './settingsWrites';
import { triggerSourceSchema } from './trigger';

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
      error: 'either delta or replicas, not both',
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
    deleteEmptyDirData: z.boolean().optional(),
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
  source: triggerSourceSchema.optional(),
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
  autoWindows: autoWindowsSchema.optional(),
});
export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

export const policyListSchema = z
  .array(policySchema)
  .max(200)
  .refine((list) => new Set(list.map((p) => p.name)).size === list.length, { error: 'policy names must be unique' })
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

/**
 * A request's check that a policy's match can match something: its namespaces are namespaces' names, its
 * watches watches' names, its label selectors keys and values a label can have. Only where policies are
 * written (PUT /api/admin/policies, the config file), not in policySchema: the store reads its rows back
 * with that, and a policy saved before these checks must still load, to be run as before and mended in the form.
 */
function matchCanMatch(match: PolicyMatch, ctx: z.RefinementCtx, path: PropertyKey[]): void {
  namespacesNamed(match.namespaces, ctx, [...path, 'namespaces']);
  match.watches?.forEach((watch, i) => {
    const problem = watchNameProblem(watch);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: [...path, 'watches', i], message: problem });
    }
  });
  for (const field of ['labels', 'alertLabels'] as const) {
    for (const [key, value] of Object.entries(match[field] ?? {})) {
      const problem = labelMatchProblem(key, value);
      if (problem) {
        ctx.addIssue({ code: 'custom', path: [...path, field], message: problem });
      }
    }
  }
}

type Bounds = ReadonlyArray<{ field: string; max: number; words: string }>;

const DAY = `at most ${DAY_SECONDS} seconds (a day)`;
/** A verification window as long as the safety limits' at most. */
const VERIFY_BOUNDS: Bounds = [{ field: 'verifySeconds', max: DAY_SECONDS, words: DAY }];
/** An approval waits as long as the safety limits' at most (30 days). */
const POLICY_BOUNDS: Bounds = [
  { field: 'approvalTimeoutSeconds', max: 30 * DAY_SECONDS, words: `at most ${30 * DAY_SECONDS} seconds (30 days)` },
  ...VERIFY_BOUNDS,
];
/** A scale's delta is bounded either way: -2^53 replicas is as wrong as 2^53. */
const ACTION_BOUNDS: Bounds = [
  { field: 'delta', max: REPLICAS_MAX, words: `between -${REPLICAS_MAX} and ${REPLICAS_MAX}` },
  { field: 'replicas', max: REPLICAS_MAX, words: `at most ${REPLICAS_MAX}` },
  { field: 'ceiling', max: REPLICAS_MAX, words: `at most ${REPLICAS_MAX}` },
  { field: 'gracePeriodSeconds', max: DAY_SECONDS, words: DAY },
  { field: 'timeoutSeconds', max: DAY_SECONDS, words: DAY },
  { field: 'maxGracePeriodSeconds', max: DAY_SECONDS, words: DAY },
];

/**
 * A request's check that each number of a policy, its actions' and its ladder's, is within its bound, as the
 * safety limits' are (settingsWrites.ts): a few digits too many, or 2^53, is refused naming the bound.
 */
function numbersBounded(policy: Policy, ctx: z.RefinementCtx, path: PropertyKey[]): void {
  const check = (node: object, bounds: Bounds, at: PropertyKey[]) => {
    for (const { field, max, words } of bounds) {
      const value = (node as Record<string, unknown>)[field];
      if (typeof value === 'number' && Math.abs(value) > max) {
        ctx.addIssue({ code: 'custom', path: [...at, field], message: `must be ${words}` });
      }
    }
  };
  check(policy, POLICY_BOUNDS, path);
  check(policy.action, ACTION_BOUNDS, [...path, 'action']);
  policy.steps?.forEach((step, i) => {
    check(step, VERIFY_BOUNDS, [...path, 'steps', i]);
    check(step.action, ACTION_BOUNDS, [...path, 'steps', i, 'action']);
  });
}

/** Policies as a request or the config file writes them: each match able to match, each number within its bound. */
export const writtenPolicyListSchema = policyListSchema.superRefine((list, ctx) =>
  list.forEach((policy, i) => {
    matchCanMatch(policy.match, ctx, [i, 'match']);
    numbersBounded(policy, ctx, [i]);
  })
);

/** PUT /api/admin/policies replaces the whole list. */
export const putPoliciesBodySchema = z.object({ policies: writtenPolicyListSchema });
export type PutPoliciesBody = z.input<typeof putPoliciesBodySchema>;
