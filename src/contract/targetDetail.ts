import { z } from 'zod';
import { anomalySchema, bandPointSchema, modelVersionSchema, predictionSchema, targetSchema } from './pipeline';
import { labelsSchema } from './vocabulary';

/** Why a target whose history is stored is not scored now. */
export const unscoredReasonSchema = z.enum([
  /** Its watch does not run here: removed, renamed, or off (its source is not configured). */
  'watch_not_running',
  /** Its watch runs without it: its series stopped and it was forgotten, or its labels changed (an edited watch). */
  'series_gone',
  /** Replicas share the watches and another owns it, but has not listed it: its series gone, or that replica catching up. */
  'other_replica',
]);
export type UnscoredReason = z.infer<typeof unscoredReasonSchema>;

/** A target no runner scores now, as the store keeps it. */
export const unscoredTargetSchema = z.object({
  id: z.string(),
  watch: z.string(),
  /** From its stored state or its latest anomaly; null when only its predictions or models are kept. */
  labels: labelsSchema.nullable(),
  /** Its last step with a sample the store knows (its stored state's, else its latest anomaly's end); null: none. */
  lastSeenAt: z.number().nullable(),
  reason: unscoredReasonSchema,
  /** The reason in words, naming the watch. */
  message: z.string(),
});
export type UnscoredTarget = z.infer<typeof unscoredTargetSchema>;

/** What a target's detail holds besides the target, scored now or not. */
const targetHistory = {
  /** Recent steps per signal (the last hours the loop keeps in memory; none of a target not scored now). */
  series: z.record(z.string(), z.array(bandPointSchema)),
  anomalies: z.array(anomalySchema),
  predictions: z.array(predictionSchema),
  model: modelVersionSchema.nullable(),
};

/**
 * GET /api/targets/:id: a target scored now (`scored` absent from a backend that served only those),
 * or one whose history alone is stored (`scored: false`, 404 only when nothing at all is stored).
 */
export const targetDetailSchema = z.union([
  z.object({
    scored: z.literal(true).optional(),
    target: targetSchema,
    ...targetHistory,
  }),
  z.object({ scored: z.literal(false), target: unscoredTargetSchema, ...targetHistory }),
]);
export type TargetDetail = z.infer<typeof targetDetailSchema>;
