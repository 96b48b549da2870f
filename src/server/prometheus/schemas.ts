import { z } from 'zod';
import { parseSampleValue, quotedValue, SAMPLE_TIME_EXPECTED, SAMPLE_VALUE_EXPECTED, sampleTimeMs } from './sample';

// Prometheus' HTTP API envelope and result types, as documented for /api/v1/query and query_range.

/** An instant sample, [seconds, "value"], read as [epoch ms, value]: only the forms Prometheus writes (sample.ts). */
const sampleValue = z.tuple([
  z.number().transform((seconds, ctx) => {
    const ms = sampleTimeMs(seconds);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${seconds}, not ${SAMPLE_TIME_EXPECTED}` });
      return z.NEVER;
    }
    return ms;
  }),
  z.string().transform((text, ctx) => {
    const value = parseSampleValue(text);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `${quotedValue(text)}, not ${SAMPLE_VALUE_EXPECTED}` });
      return z.NEVER;
    }
    return value;
  }),
]);
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
  /** PromQL's info annotations (documented from Prometheus 2.54), e.g. a rate over what may not be a counter. */
  infos: z.array(z.string()).optional(),
});
