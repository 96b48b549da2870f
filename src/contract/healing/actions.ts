// Actions as they run: what the Kubernetes module executes (its one declaration is here), plus
// `notify`, which talks to Grafana and a webhook instead.
import { z } from 'zod';
import { k8sNameSchema as k8sName, labelsSchema } from '../vocabulary';

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
    deleteEmptyDirData: z.boolean().optional(),
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
/** The action types, as plannedActionSchema's members name them (a new action is a new type here too). */
export const actionTypeSchema = z.enum(plannedActionSchema.options.map((o) => o.shape.type.value));

/** POST /api/admin/test/kubernetes: optionally an action to dry-run; answers in words. */
export const kubernetesTestBodySchema = z.object({ action: plannedActionSchema.optional() }).optional();
export const kubernetesTestResponseSchema = z.object({ ok: z.boolean(), message: z.string() });
export type KubernetesTestResponse = z.infer<typeof kubernetesTestResponseSchema>;
