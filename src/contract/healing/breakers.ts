// Circuit breakers: a target that keeps needing the same fix. While open, automatic actions on it
// wait for approval; an Editor closes it (POST /api/breakers/close), which restarts the count.
import { z } from 'zod';
import { actionTypeSchema } from './actions';

export const breakerSchema = z.object({
  id: z.number().int(),
  target: z.string(),
  /** The fix that kept coming back. */
  actionType: actionTypeSchema,
  /** How many times it ran within the window when the breaker opened. */
  repeats: z.number().int().min(0),
  windowSeconds: z.number().int().positive(),
  /** The action that found it open (it waits for approval). */
  actionId: z.number().int(),
  openedAt: z.number(),
  closedAt: z.number().optional(),
  closedBy: z.string().optional(),
  comment: z.string().optional(),
});
export type Breaker = z.infer<typeof breakerSchema>;

/** GET /api/breakers: the open ones. */
export const breakerListSchema = z.object({ items: z.array(breakerSchema) });
export type BreakerList = z.infer<typeof breakerListSchema>;

/** POST /api/breakers/close (Editor). */
export const closeBreakerBodySchema = z.object({
  target: z.string().min(1).max(600),
  comment: z.string().max(2000).optional(),
});
export type CloseBreakerBody = z.infer<typeof closeBreakerBodySchema>;
