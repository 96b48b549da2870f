import { z } from 'zod';
import { DETECTOR_STATE_FORMAT } from '../../../detection/detector';
import { anomalySchema } from '../../../contract/pipeline';
import { departureLabelsSchema } from '../../../contract/signalDepartures';
import { SIGNAL_KINDS } from '../../../contract/watches';
import { benignExcursionSchema } from '../benignExcursions';
import { faultExcursionSchema } from '../faultExcursions';
import { openPredictionSchema } from '../predictionRecord';

/** A stored anomaly record (the open one of a target's state): the API's anomaly before it has an id and feedback. */
export const anomalyRecordSchema = z.object({
  id: z.number().int().optional(),
  targetId: z.string(),
  // Checkpoints from before peaks were kept have none (the API's `peak` is optional too).
  ...anomalySchema.pick({
    watch: true,
    labels: true,
    start: true,
    end: true,
    peakScore: true,
    peak: true,
    severity: true,
    failureModel: true,
    state: true,
    direction: true,
    reasons: true,
  }).shape,
  // Earlier builds named a forecast anew at each step of its countdown: the open anomaly goes on naming it once.
  signals: departureLabelsSchema,
});

export const signalSpecSchema = z.object({
  name: z.string(),
  kind: z.enum(SIGNAL_KINDS),
  limits: z.object({ above: z.number().optional(), below: z.number().optional() }).optional(),
});

/**
 * The checkpointed state of one target (version 1). The detector's and forecaster's own fields are
 * checked by the detection library when they are restored; here only their envelope.
 */
export const targetModelStateSchema = z.object({
  version: z.literal(1),
  steps: z.number().int().nonnegative(),
  samples: z.number().int().nonnegative(),
  firstAt: z.number().nullable(),
  lastAt: z.number().nullable(),
  threshold: z.number(),
  modelVersion: z.number().int().nonnegative(),
  open: anomalyRecordSchema.nullable(),
  quiet: z.number().int().nonnegative(),
  /** Its false positives' excursions (pipeline/benignExcursions.ts); states stored before them have none. */
  benign: z.array(benignExcursionSchema).optional(),
  /** The anomaly open when the target relearned, until its replay finds it again or passes it (pipeline/episodes.ts). */
  held: z.object({ anomaly: anomalyRecordSchema, until: z.number() }).optional(),
  /** Its open anomaly's fault excursions (pipeline/faultExcursions.ts); states stored before them have none. */
  excursions: z.array(faultExcursionSchema).optional(),
  /** Its predictions not ended yet (pipeline/predictionRecord.ts); states stored before them have none. */
  predicting: z.array(openPredictionSchema).optional(),
  signals: z.array(
    z.object({
      spec: signalSpecSchema,
      detector: z.looseObject({ format: z.literal(DETECTOR_STATE_FORMAT), name: z.string(), version: z.number() }),
      forecaster: z.unknown().optional(),
    })
  ),
});
export type TargetModelState = z.infer<typeof targetModelStateSchema>;
