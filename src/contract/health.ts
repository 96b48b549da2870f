import { z } from 'zod';

export const readinessCheckSchema = z.object({
  ok: z.boolean(),
  /** Why a check failed (or a note when it passed), in words an operator understands. */
  message: z.string().optional(),
});

/** GET /readyz: 200 when every check passes, 503 otherwise; the body says which failed. */
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    store: readinessCheckSchema,
    prometheus: readinessCheckSchema,
  }),
});
export type Readiness = z.infer<typeof readinessSchema>;

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
