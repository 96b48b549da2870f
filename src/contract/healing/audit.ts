// The audit log: append-only.
import { z } from 'zod';
import { actionStateSchema } from './actionRecord';
import { csv, pageLinksSchema, pagingSchema } from './query';
import { epochMsParamSchema, fromNotAfterTo, targetParamSchema, wholeNumberParamSchema } from '../vocabulary';

/** Each state an action enters is audited under its own name; awaiting approval is told by the dry run's entry. */
const auditedStates = actionStateSchema.exclude(['awaiting_approval']).options;

/** What each kind means: AUDIT_KIND_MEANINGS below (the audit page shows it). */
export const auditKindSchema = z.enum([
  ...auditedStates,
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
  'kubernetes_changed',
  'watches_changed',
  'ladder',
  'breaker_opened',
  'breaker_closed',
  'approval_requested',
  'storm',
  'namespaces_paused',
  'paused',
  'feedback',
]);
export type AuditKind = z.infer<typeof auditKindSchema>;

/** Each kind in words for people: the audit page's filter and its Event column show them. */
export const AUDIT_KIND_MEANINGS: Readonly<Record<AuditKind, string>> = {
  proposed: 'A policy proposed an action for a trigger.',
  approved: 'An Editor approved an action, or its gate let it run by itself.',
  rejected: 'An Editor rejected an action awaiting approval.',
  expired: 'An action awaiting approval was not approved in time.',
  dry_run: "The policy's gate is dry-run: what the action would change was recorded, nothing ran.",
  blocked: 'A safety limit refused the action (the reason says which).',
  cancelled:
    'The action will not run: its trigger was no longer true, its policy changed, or an operator marked its anomaly a false positive (the reason says which).',
  superseded: 'The cluster changed after the approval, so the approved change was not made.',
  executing: 'The action started on the cluster.',
  succeeded: 'Kubernetes made the change.',
  failed: 'The action could not be completed.',
  verified: 'After the action, the target recovered.',
  not_recovered: 'After the action, the target did not recover.',
  waiting: 'An approved action waits for a limit to free (the node budget); it runs when it does.',
  kubernetes: 'What Kubernetes answered to an action.',
  reconciled: 'After a restart, an interrupted action was checked against what the cluster is now.',
  notified: 'A notification was sent.',
  trigger_opened: 'An anomaly or an alert opened (or fired again).',
  trigger_closed: 'An anomaly closed or an alert resolved.',
  policy_skipped: 'A policy matched a trigger but cannot act on it.',
  kill_switch: 'The kill switch was engaged or released.',
  policies_changed: 'The healing policies were saved.',
  limits_changed: 'The safety limits were saved.',
  kubernetes_changed:
    "Which Kubernetes the engine acts on changed (saved in Grafana, or reset to the backend's config).",
  watches_changed: "The watches were saved in Grafana, or reset to the backend's file or default watches.",
  ladder: 'An escalation ladder proposed its next step, or stopped (recovered, rejected, at its end).',
  breaker_opened: "A target's circuit breaker opened: automatic actions there wait for approval.",
  breaker_closed: "A target's circuit breaker was closed by an Editor.",
  approval_requested: 'An action awaiting approval was announced where people are, with a link to it.',
  storm: 'Storm mode began or ended: automatic actions paused while too many targets alarm at once.',
  namespaces_paused: 'An Admin paused or resumed automatic actions in namespaces.',
  paused: 'A drain stopped at a safe point when its window closed; it resumes in the next one.',
  feedback:
    'An operator marked an anomaly a false positive (healing withdrew what it had not started and proposes nothing more for it) or confirmed it afterwards (healing proposes for it again).',
};

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
export const auditQuerySchema = z
  .object({
    actionId: wholeNumberParamSchema(z.number().positive().max(Number.MAX_SAFE_INTEGER)).optional(),
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
  })
  .superRefine(fromNotAfterTo);
export type AuditQuery = z.input<typeof auditQuerySchema>;

export const auditListSchema = z.object({
  items: z.array(auditEntrySchema),
  total: z.number().int(),
  ...pageLinksSchema,
});
export type AuditList = z.infer<typeof auditListSchema>;
