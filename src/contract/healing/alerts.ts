// Alert intake: POST /api/alerts, the webhook Alertmanager (version "4") and Grafana alerting's
// webhook contact point (version "1", a superset with orgId, title, state, message) send.
import { z } from 'zod';
import {
  alertAnnotationsSchema,
  alertFieldSchema,
  alertFingerprintSchema,
  alertLabelsSchema,
  alertUrlSchema,
} from '../alertLimits';

export const alertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: alertLabelsSchema,
  annotations: alertAnnotationsSchema.default({}),
  startsAt: alertFieldSchema.optional(),
  endsAt: alertFieldSchema.optional(),
  generatorURL: alertUrlSchema.optional(),
  /**
   * Alertmanager and Grafana both send it (16 hex digits); derived from the labels when absent. Any
   * other text is kept but '#': an action's archived trigger key is `<key>#superseded-<id>`, which a
   * fingerprint spelled so would name before the archive does.
   */
  fingerprint: alertFingerprintSchema
    .refine((fingerprint) => !fingerprint.includes('#'), {
      error: "must not contain '#' (Alertmanager's and Grafana's fingerprints are hex digits)",
    })
    .optional(),
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
