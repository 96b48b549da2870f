import { z } from 'zod';

export const readinessCheckSchema = z.object({
  ok: z.boolean(),
  /** Why a check failed (or a note when it passed), in words an operator understands. */
  message: z.string().optional(),
});

/** A watch whose last query failed: its name and why, in one short phrase (never a URL or an upstream body). */
export const degradedWatchSchema = z.object({
  name: z.string(),
  reason: z.string(),
});

/**
 * Which replica this is: the leader executes healing actions, followers serve the API (and are
 * ready); not ok when who leads cannot be found out (e.g. RBAC forbids the Lease).
 */
export const leadershipCheckSchema = readinessCheckSchema.extend({
  role: z.enum(['leader', 'follower', 'single']),
});

/**
 * GET /readyz (public): 200 when every check not excluded passes, 503 otherwise; the body says which
 * failed in fixed phrases, excluded ones too. Degraded watches do not make the backend unready; they
 * are counted beside, and named only to a caller with the API token.
 */
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    /** The store answers (reads work). */
    store: readinessCheckSchema,
    /** The store can write, as its last calls found out; absent from backends before it had a check of its own. */
    storeWrites: readinessCheckSchema.optional(),
    prometheus: readinessCheckSchema,
    /** Absent from backends before leader election. */
    leadership: leadershipCheckSchema.optional(),
  }),
  /** How many watches are degraded; absent from backends before it was counted. */
  degradedWatchCount: z.number().int().min(0).optional(),
  /** Which, and why: only with the API token (the app, through Grafana's proxy); absent without it. */
  degradedWatches: z.array(degradedWatchSchema).optional(),
});
export type Readiness = z.infer<typeof readinessSchema>;

/**
 * What `exclude` may name: the checks every replica shares, where taking one pod out of its Service
 * helps nothing. Not `store` (this pod's connection: another pod may reach the database) nor
 * `leadership` (this pod's view of the Lease).
 */
const excludableCheck = z.enum(['prometheus', 'storeWrites']);

/**
 * GET /readyz?exclude=prometheus&exclude=storeWrites (as the Kubernetes API server's
 * `/readyz?exclude=etcd`, repeated for several): each check named is still run and reported, but does
 * not decide readiness. The Deployment's probe excludes the two that every replica shares: a
 * Prometheus outage, or a database (or the one pod's disk) refusing writes, must not take every
 * replica out of its Service, and with them the reads, the audit log and the kill switch that still work.
 */
export const readinessQuerySchema = z.object({
  exclude: z.union([excludableCheck, z.array(excludableCheck)]).optional(),
});
export type ReadinessQuery = z.infer<typeof readinessQuerySchema>;

/** GET /healthz: the process is alive. */
export const livenessSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  uptimeSeconds: z.number(),
});
export type Liveness = z.infer<typeof livenessSchema>;

/** The error body every backend route answers with. */
export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  /** The field that failed validation, as a dotted path, when a request was refused for its input. */
  field: z.string().optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
