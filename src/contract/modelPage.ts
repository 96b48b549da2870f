import { z } from 'zod';
import { modelsResponseSchema } from './pipeline';
import { retrainRequestSchema } from './retrainRequests';

/**
 * GET /api/models's answer; with `requests=true`, also the newest retrain request of each target on
 * the page (targets without one have none) and how long a queued one waits, so the Models page reads
 * what it shows beside its rows with them, however large the fleet.
 */
export const modelPageSchema = modelsResponseSchema.extend({
  requests: z.array(retrainRequestSchema).optional(),
  expiresAfterMs: z.number().optional(),
});
export type ModelPage = z.infer<typeof modelPageSchema>;
