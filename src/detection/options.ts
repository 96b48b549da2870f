import { z } from 'zod';
import type { ArtimeOptions } from './artime';
import type { CadOseOptions } from './cadOse';
import type { DetectorOptions } from './detector';
import type { EnsembleOptions } from './ensemble';
import type { EwmaOptions } from './ewma';
import type { FailureProphetOptions } from './failureprophet';
import type { FailureProphetV6Options } from './failureprophetV6';
import type { FailureProphetV5Options } from './failureprophetV5';
import type { FailureProphetV1Options } from './failureprophetV1';
import type { FailureProphetV7Options } from './failureprophetV7';
import type { FailureProphetV8Options } from './failureprophetV8';
import type { FailureProphetLeadersOptions } from './failureprophetLeaders';
import type { ZScoreOptions } from './zscore';

/** Each detector's options, by registry name: `createDetector(name, options)` type-checks against it. */
export interface OptionsByName {
  failureprophet: FailureProphetOptions;
  'failureprophet-v6': FailureProphetV6Options;
  'failureprophet-v7': FailureProphetV7Options;
  'failureprophet-v8': FailureProphetV8Options;
  'failureprophet-leaders': FailureProphetLeadersOptions;
  'failureprophet-v5': FailureProphetV5Options;
  'failureprophet-v1': FailureProphetV1Options;
  'failureprophet-ensemble': EnsembleOptions;
  artime: ArtimeOptions;
  'artime-bounded': ArtimeOptions;
  ewma: EwmaOptions;
  zscore: ZScoreOptions;
  iforest: DetectorOptions;
  cadose: CadOseOptions;
  'cadose-bounded': CadOseOptions;
  knncad: DetectorOptions;
  relativeentropy: DetectorOptions;
}

/** Names `createDetector` accepts. */
export type DetectorName = keyof OptionsByName;

const rate = z.number().gt(0).lte(1);
const durationMs = z.number().min(0);
const count = z.number().int().min(0);

/** What every detector accepts (DetectorOptions). */
const common = { trainingPoints: count.optional(), seed: z.number().int().optional() };

/** The daily-profile and slow-baseline views and their alarm memory (failureprophet and its v1). */
const views = {
  buckets: z.number().int().min(1).max(1440),
  profileRate: rate,
  baselineRate: rate,
  shortAlpha: rate,
  tailQuantile: z.number().gt(0).lt(1),
  refractoryDecay: rate,
  holdMs: durationMs,
  alarmThreshold: z.number().gt(0).lte(1),
  refractoryMs: durationMs,
  maxStepMs: z.number().gt(0),
  bucketLearnMs: durationMs,
  bucketLearnSamples: count,
};

/**
 * Series time the views learn before any alarm (DailyViewOptions.learningMs): a state holds it only
 * when it is not the default, as every state saved before it.
 */
const learning = { learningMs: durationMs.optional() };

/** failureprophet-v1's options, all present: what its saved state holds. */
export const FAILUREPROPHET_V1_SETTINGS = z.strictObject({ ...views, ...learning, trainingPoints: count });
/** failureprophet-v5's options, all present: what its saved state holds (and failureprophet's v5 part). */
export const FAILUREPROPHET_V5_SETTINGS = z.strictObject({
  ...views,
  newEventFactor: z.number().min(0),
  trainingPoints: count,
  ...learning,
});

const failureprophetV5 = FAILUREPROPHET_V5_SETTINGS.partial().extend(common);
/**
 * failureprophet-v5 as the part of a detector that packs it and does not keep `learningMs` (the
 * ensemble, failureprophet-v6 to v8): they do not take the option, rather than lose it on restore.
 */
const failureprophetV5Part = failureprophetV5.omit({ learningMs: true });
const artimeWeight = z.number().min(0).optional();

/** A flag; nab:tune's grid passes 0 / 1. */
const flag01 = z.union([z.boolean(), z.literal(0), z.literal(1)]).transform(Boolean);

/** The range estimate of the range-quantising leaders. */
const rangeEstimate = {
  rangeMargin: z.number().min(0).optional(),
  rangeRenormalise: flag01.optional(),
};

/** ARTime's range estimate: it can also re-express what it learned when the range moves. */
const artimeRange = { ...rangeEstimate, rangeRescale: flag01.optional() };

/** How many categories a bounded ARTime holds (ArtimeDetector.bounded checks the same range). */
const maxCategories = z.number().int().min(2).max(4096).optional();

const failureprophetV6 = failureprophetV5Part.extend({
  artimeWeight,
  maxCategories,
  artimeRescale: flag01.optional(),
});

/** failureprophet-v6 with the sustained-departure view (failureprophet-v8; v7 adds its insideWeight). */
const failureprophetV8 = failureprophetV6.extend({
  sustainedForMs: z.number().gt(0).optional(),
  sustainedTauMs: z.number().gt(0).optional(),
  sustainedMargin: z.number().min(0).optional(),
});

/**
 * failureprophet-leaders' options (and the product's): v6's, how far out a value is a gross fault,
 * and how long its v5 part learns (it keeps that in its state).
 */
const failureprophetLeaders = failureprophetV6.extend({ grossSpans: z.number().min(0).optional(), ...learning });

const SCHEMAS = {
  failureprophet: failureprophetLeaders,
  'failureprophet-v6': failureprophetV6,
  'failureprophet-v7': failureprophetV8.extend({ insideWeight: z.number().min(0).max(1).optional() }),
  'failureprophet-v8': failureprophetV8,
  'failureprophet-leaders': failureprophetLeaders,
  'failureprophet-v5': failureprophetV5,
  'failureprophet-v1': FAILUREPROPHET_V1_SETTINGS.partial().extend(common),
  'failureprophet-ensemble': failureprophetV5Part.extend({ artimeWeight }),
  artime: z.strictObject({ ...common, ...artimeRange }),
  'artime-bounded': z.strictObject({ ...common, ...artimeRange, maxCategories }),
  ewma: z.strictObject({ ...common, alpha: rate.optional() }),
  zscore: z.strictObject({ ...common, window: z.number().int().min(2).optional() }),
  iforest: z.strictObject(common),
  cadose: z.strictObject({ ...common, ...rangeEstimate }),
  'cadose-bounded': z.strictObject({ ...common, ...rangeEstimate, maxContexts: z.number().int().min(16).optional() }),
  relativeentropy: z.strictObject(common),
  knncad: z.strictObject(common),
} satisfies { [N in DetectorName]: z.ZodType<OptionsByName[N], unknown> };

/** "option "x": message" for each problem zod found, for an error that names what to fix. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : `option "${issue.path.join('.')}": ${issue.message}`
    )
    .join('; ');
}

/**
 * A detector's options as read from config or the command line, checked by its schema; throws an
 * Error naming the detector and each bad or unknown option.
 */
export function parseDetectorOptions<N extends DetectorName>(name: N, raw: unknown): OptionsByName[N] {
  const schema: z.ZodType<OptionsByName[N], unknown> = SCHEMAS[name];
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new Error(`Detector "${name}": ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** The options saved in a detector's state, checked by `schema`; throws naming what is corrupt. */
export function decodeStoredOptions<T>(schema: z.ZodType<T, unknown>, raw: unknown, name: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Corrupt detector state: ${name} options: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
