import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './pipeline';
import { cursorParamSchema, targetParamSchema, wholeNumberParamSchema } from './vocabulary';

/**
 * "Retrain now" queued for a target another replica holds (HTTP 202, `queued`), followed until it
 * is answered: whichever replica holds the target runs it after its next cycle, and a request
 * nobody has taken this long after it was asked, or three of its watch's steps when that is longer
 * (retrainRequestWaitMs: no replica holds its target: the target went, or its watch was removed), is
 * answered as expired instead of waiting for ever.
 */
export const RETRAIN_REQUEST_EXPIRES_AFTER_MS = 3_600_000;

/**
 * `queued`: waiting for the replica that holds its target; `running`: taken by one (`claimedBy`);
 * `done`: run (`trained`, `failed`); `expired`: nobody held its target for RETRAIN_REQUEST_EXPIRES_AFTER_MS.
 */
export const retrainRequestStateSchema = z.enum(['queued', 'running', 'done', 'expired']);
export type RetrainRequestState = z.infer<typeof retrainRequestStateSchema>;

export const retrainRequestSchema = z.object({
  id: z.number().int(),
  /** What to retrain: a target (of a watch), or, from builds before requests followed targets, a replica's share of a watch (target null). */
  watch: z.string().nullable(),
  target: z.string().nullable(),
  /** The replica that held the target when the request was queued. */
  replica: z.string(),
  /** The replica that took the request (the one that received "Retrain now" queued it). */
  requestedBy: z.string(),
  requestedAt: z.number(),
  state: retrainRequestStateSchema,
  /** The replica that runs (or ran) it; null while queued. */
  claimedBy: z.string().nullable(),
  /** When it was run or expired; null while it waits. */
  answeredAt: z.number().nullable(),
  /** Done: the models the run retrained, and its failures for this request's target. */
  trained: z.number().int().nullable(),
  failed: z.array(z.object({ target: z.string(), error: z.string() })).nullable(),
});
export type RetrainRequestView = z.infer<typeof retrainRequestSchema>;

/**
 * GET /api/models/retrain-requests: the newest requests first, of one target when `target` is given;
 * with `newest=target`, each target's newest request instead (what the Models page shows of it),
 * `limit` targets a page, paged by `cursor`.
 */
export const retrainRequestsQuerySchema = z
  .object({
    target: targetParamSchema.optional(),
    newest: z.literal('target').optional(),
    limit: wholeNumberParamSchema(z.number().min(1).max(MAX_PAGE_LIMIT)).default(DEFAULT_PAGE_LIMIT),
    /** With `newest=target`: where the page starts, the `next` of the previous page. */
    cursor: cursorParamSchema(targetParamSchema),
  })
  .superRefine((q, ctx) => {
    if (q.newest === undefined && q.cursor !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'a cursor pages newest=target only' });
    }
    if (q.newest !== undefined && q.target !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['newest'],
        message: "newest=target lists every target's newest request; for one target's, ask target=...&limit=1",
      });
    }
  });
export type RetrainRequestsQuery = z.infer<typeof retrainRequestsQuerySchema>;

export const retrainRequestsResponseSchema = z.object({
  requests: z.array(retrainRequestSchema),
  /** With `newest=target`: the cursor of the following page, null on the last one. */
  next: z.string().nullable().optional(),
  /** RETRAIN_REQUEST_EXPIRES_AFTER_MS, so a page can say how long a queued request waits. */
  expiresAfterMs: z.number(),
});
export type RetrainRequestsResponse = z.infer<typeof retrainRequestsResponseSchema>;
