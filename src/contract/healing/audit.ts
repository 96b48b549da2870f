// The audit log: append-only.
import { z } from 'zod';
import { actionStateSchema } from './actionRecord';
import { csv, pageLinksSchema, pagingSchema } from './query';
import { epochMsParamSchema, targetParamSchema } from '../vocabulary';

/** Each state an action enters is audited under its own name; awaiting approval is told by the dry run's entry. */
const auditedStates = actionStateSchema.exclude(['awaiting_approval']).options;

export const auditKindSchema = z.enum([
  ...auditedStates,
  /** An approved action waits for a limit to free (the node budget); it runs when it does. */
  'waiting',
  'kubernetes',
  'reconciled',
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
  /** The trigger's id as text (an anomaly's number or an alert's fingerprint): the log's one column for both. */
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
  /**
   * The entries of one pipeline target (its id, as GET /api/targets gives it): those of the triggers
   * its anomalies raised. Entries of alerts belong to no pipeline target.
   */
  target: targetParamSchema.min(1).optional(),
  kind: csv(auditKindSchema).optional(),
  user: z.string().optional(),
  from: epochMsParamSchema.optional(),
  to: epochMsParamSchema.optional(),
  format: z.enum(['json', 'csv', 'jsonl']).default('json'),
  ...pagingSchema,
});
export type AuditQuery = z.input<typeof auditQuerySchema>;

export const auditListSchema = z.object({
  items: z.array(auditEntrySchema),
  total: z.number().int(),
  ...pageLinksSchema,
});
export type AuditList = z.infer<typeof auditListSchema>;
