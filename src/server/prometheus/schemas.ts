import { z } from 'zod';

// Prometheus' HTTP API envelope and result types, as documented for /api/v1/query and query_range.
const sampleValue = z.tuple([z.number(), z.string()]);
const labels = z.record(z.string(), z.string());

// A range answer's samples are checked where they are read (matrix.ts): there can be millions.
export const matrixSchema = z.object({
  resultType: z.literal('matrix'),
  result: z.array(
    z.object({ metric: labels, values: z.array(z.unknown()).optional(), histograms: z.unknown().optional() })
  ),
});

export const instantDataSchema = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: labels, value: sampleValue.optional(), histogram: z.unknown().optional() })),
  }),
  z.object({ resultType: z.literal('scalar'), result: sampleValue }),
  z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) }),
  matrixSchema,
]);

export const envelopeSchema = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});
