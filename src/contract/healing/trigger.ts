// Triggers: what the healing engine is asked to heal, and the Kubernetes object it acts on.
import { z } from 'zod';
import {
  anomalyIdSchema,
  failureModelSchema,
  isK8sName,
  k8sNameSchema as k8sName,
  labelsSchema,
  severitySchema,
} from '../vocabulary';

/** The Kubernetes object a target maps to (from the watch's mapping or an alert's labels). */
export const kubeObjectRefSchema = z
  .object({
    kind: z.enum(['deployment', 'statefulset', 'daemonset', 'pod', 'node']),
    namespace: k8sName.optional(),
    name: k8sName,
  })
  .refine((o) => o.kind === 'node' || o.namespace !== undefined, {
    error: 'a namespaced object needs its namespace',
    path: ['namespace'],
  });
export type KubeObjectRef = z.infer<typeof kubeObjectRefSchema>;

/**
 * The object labels name, when they name one by Kubernetes names; else none, so the trigger maps to no
 * object and no Kubernetes action (label values are whatever a scraped target or an alert rule wrote).
 */
export const kubeObjectRefOf = (labelled: {
  kind: KubeObjectRef['kind'];
  namespace?: string;
  name: string;
}): KubeObjectRef | undefined =>
  isK8sName(labelled.name) && (labelled.namespace === undefined || isK8sName(labelled.namespace, 'namespace'))
    ? kubeObjectRefSchema.safeParse(labelled).data
    : undefined;

/** Where a trigger came from: the pipeline's anomalies and forecasts, or the alert intake. */
export const triggerSourceSchema = z.enum(['anomaly', 'alert']);

/** An alert's id: Alertmanager's fingerprint with the alert's start (see healing/alerts.ts). */
export const alertIdSchema = z.string().min(1).max(512);

const triggerFields = {
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
};

export const anomalyTriggerSchema = z.object({ source: z.literal('anomaly'), id: anomalyIdSchema, ...triggerFields });
export const alertTriggerSchema = z.object({ source: z.literal('alert'), id: alertIdSchema, ...triggerFields });

/**
 * What the pipeline (an anomaly or a failure prediction) or the alert intake hands the engine.
 * `id` is stable for one anomaly (its id) or one alert (its fingerprint): the same id never
 * proposes the same action twice.
 */
export const healingTriggerSchema = z.discriminatedUnion('source', [anomalyTriggerSchema, alertTriggerSchema]);
export type HealingTrigger = z.infer<typeof healingTriggerSchema>;
export type AnomalyTrigger = z.infer<typeof anomalyTriggerSchema>;
/** Which trigger: its source and its id, of the type that source gives. */
export type TriggerRef =
  Pick<AnomalyTrigger, 'source' | 'id'> | Pick<z.infer<typeof alertTriggerSchema>, 'source' | 'id'>;
