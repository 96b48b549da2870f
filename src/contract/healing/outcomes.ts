// Proof of value: what the actions of each policy did, from the store (GET /api/outcomes).
import { z } from 'zod';
import { actionTypeSchema } from './actions';

export const policyOutcomeSchema = z.object({
  policy: z.string(),
  action: actionTypeSchema,
  /** Executions started. */
  executed: z.number().int(),
  /** Verified: the signal recovered within the verification window. */
  recovered: z.number().int(),
  notRecovered: z.number().int(),
  /** The execution itself failed. */
  failed: z.number().int(),
  /** Median seconds from the start of the action to the recovery; null before the first recovery. */
  medianRecoverySeconds: z.number().nullable(),
  /** Taken on a time-to-failure prediction, and the target recovered before the predicted crossing. */
  prevented: z.number().int(),
});
export type PolicyOutcome = z.infer<typeof policyOutcomeSchema>;

export const outcomeListSchema = z.object({ items: z.array(policyOutcomeSchema) });
export type OutcomeList = z.infer<typeof outcomeListSchema>;
