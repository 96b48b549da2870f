// Safety limits: they hold whatever a policy says.
import { z } from 'zod';
import { namespaceEntrySchema } from '../vocabulary';

export const safetyLimitsSchema = z.strictObject({
  /** After an action ran on a target, the same action on the same target waits this long. */
  cooldownSeconds: z.number().int().min(0).default(900),
  /** Executions started per rolling hour, across the cluster. */
  maxActionsPerHour: z.number().int().min(0).default(20),
  /** Executions started per rolling hour in one namespace; node actions, which have none, count toward maxActionsPerHour and the node budget only. */
  maxActionsPerHourPerNamespace: z.number().int().min(0).default(5),
  /** Nodes cordoned or draining by the engine at the same time; a further drain waits. */
  maxNodesDisrupted: z.number().int().min(0).default(1),
  /** No scale goes past this, whatever the policy says; nothing ever goes below 1. */
  replicaCeiling: z.number().int().min(1).default(20),
  /** Namespaces the engine may act in (`*`: all); `deny` wins. kube-system is denied by default. */
  namespaces: z
    .strictObject({
      allow: z.array(namespaceEntrySchema).default(['*']),
      deny: z.array(namespaceEntrySchema).default(['kube-system']),
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
  /**
   * Notifications (`notify` actions), metered as Alertmanager meters its own: after one about a target,
   * the next about it waits `repeatIntervalSeconds` (Alertmanager's repeat_interval, default 4 h; at
   * most a day, which the healing retention always keeps), and at most `maxPerHour` go out in any
   * hour across the cluster. One held back is blocked with the reason, audited and counted.
   */
  notifications: z
    .strictObject({
      repeatIntervalSeconds: z.number().int().min(0).max(86_400).default(14_400),
      maxPerHour: z.number().int().min(0).default(20),
    })
    .default({ repeatIntervalSeconds: 14_400, maxPerHour: 20 }),
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
