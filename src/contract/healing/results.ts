// What an executed action reports: one result per Kubernetes action (the Kubernetes module returns
// these, the store keeps them in an action's result, the API shows them) and a notification's targets.
import { z } from 'zod';

const workload = { namespace: z.string(), name: z.string() };

export const scaleResultSchema = z.object({
  action: z.literal('scale'),
  target: z.object({ kind: z.enum(['deployment', 'statefulset']), ...workload }),
  from: z.number(),
  to: z.number(),
  /** What was asked for before clamping to [1, ceiling]. */
  requested: z.number(),
  clamped: z.enum(['ceiling', 'floor']).optional(),
  dryRun: z.boolean(),
  summary: z.string(),
});
export type ScaleResult = z.infer<typeof scaleResultSchema>;

export const restartResultSchema = z.object({
  action: z.literal('restart'),
  target: z.object({ kind: z.enum(['deployment', 'statefulset', 'daemonset']), ...workload }),
  restartedAt: z.string(),
  /** Pods the rollout will replace, as far as the spec says (a DaemonSet has no count). */
  replicas: z.number().optional(),
  dryRun: z.boolean(),
  summary: z.string(),
});
export type RestartResult = z.infer<typeof restartResultSchema>;

export const deletePodResultSchema = z.object({
  action: z.literal('delete-pod'),
  namespace: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  nodeName: z.string().optional(),
  /** The controller that will replace it, e.g. `ReplicaSet cart-7d9f`; none for a bare pod. */
  owner: z.string().optional(),
  gracePeriodSeconds: z.number().optional(),
  dryRun: z.boolean(),
  summary: z.string(),
});
export type DeletePodResult = z.infer<typeof deletePodResultSchema>;

export const cordonResultSchema = z.object({
  action: z.enum(['cordon', 'uncordon']),
  node: z.string(),
  /** Whether the node accepted new pods before and after. */
  wasSchedulable: z.boolean(),
  schedulable: z.boolean(),
  changed: z.boolean(),
  dryRun: z.boolean(),
  summary: z.string(),
});
export type CordonResult = z.infer<typeof cordonResultSchema>;

/** A pod by UID: a same-named replacement is another pod. */
export const podRefSchema = z.object({ namespace: z.string(), name: z.string(), uid: z.string() });
export type PodRef = z.infer<typeof podRefSchema>;

export const skipReasonSchema = z.enum(['daemonset', 'mirror', 'namespace']);
export type SkipReason = z.infer<typeof skipReasonSchema>;

export const skippedPodSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  reason: skipReasonSchema,
  why: z.string(),
  /** For a hold (a paused namespace): when it began, epoch ms, kept out of `why` as `Reason.since` is. */
  since: z.number().optional(),
});
export type SkippedPod = z.infer<typeof skippedPodSchema>;

export const podLeftSchema = podRefSchema.extend({
  /** Why it is still there, e.g. the PodDisruptionBudget's words. */
  why: z.string(),
});
export type PodLeft = z.infer<typeof podLeftSchema>;

export const drainReportSchema = z.object({
  action: z.literal('drain'),
  node: z.string(),
  dryRun: z.boolean(),
  /** Pods evicted, by this run or the ones it resumed; in a dry run, the pods that would be. */
  evicted: z.array(podRefSchema),
  skipped: z.array(skippedPodSchema),
  /** Pods still on the node when the drain stopped; in a dry run, those a budget blocks right now. */
  left: z.array(podLeftSchema),
  cordonedByDrain: z.boolean(),
  /** The node was uncordoned after a failure. */
  uncordoned: z.boolean(),
  summary: z.string(),
});
export type DrainReport = z.infer<typeof drainReportSchema>;

/** What a Kubernetes action did, by its `action`. */
export const kubeActionResultSchema = z.discriminatedUnion('action', [
  scaleResultSchema,
  restartResultSchema,
  deletePodResultSchema,
  cordonResultSchema,
  drainReportSchema,
]);
export type KubeActionResult = z.infer<typeof kubeActionResultSchema>;

/** An interrupted action's effect as read back from the cluster after a restart. */
export const reconciliationSchema = z.object({
  /**
   * `done`: the cluster already shows the action's effect, do not run it again. `not-done`: it did
   * not happen (or a drain is unfinished: resume it with its persisted progress). `unknown`: the
   * action carries too little to tell (pin it before executing; see pinAction).
   */
  state: z.enum(['done', 'not-done', 'unknown']),
  /** What was seen, for the action's record. */
  observed: z.string(),
});
export type Reconciliation = z.infer<typeof reconciliationSchema>;

/** Where a notification went, and which of its targets failed. */
export const notifyResultSchema = z.object({ targets: z.array(z.string()), failures: z.array(z.string()) });
export type NotifyResult = z.infer<typeof notifyResultSchema>;
