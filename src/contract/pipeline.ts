import { z } from 'zod';
import { LIMIT_DIRECTIONS, type LimitDirection, type NoCrossingReason } from '../detection/forecast';
import {
  anomalyIdSchema,
  cursorParamSchema,
  directionSchema,
  epochMsParamSchema,
  failureModelSchema,
  fromNotAfterTo,
  labelsSchema,
  severitySchema,
  targetParamSchema,
  wholeNumberParamSchema,
} from './vocabulary';

export {
  directionSchema,
  failureModelSchema,
  labelsSchema,
  severitySchema,
  type Direction,
  type FailureModel,
  type Severity,
} from './vocabulary';

/** The side of its limit a signal fails on (declared in the detection library). */
export type { LimitDirection };
export const limitDirectionSchema = z.enum(LIMIT_DIRECTIONS);

/**
 * The detection pipeline's API (backend routes under /api and /predict), shared by the backend and
 * the app pages. Times are epoch milliseconds; durations are seconds. JSON has no Infinity: a
 * forecast that never crosses its limit within the horizon is `null`.
 */

export const anomalyStateSchema = z.enum(['open', 'closed']);
export type AnomalyState = z.infer<typeof anomalyStateSchema>;

export const feedbackKindSchema = z.enum(['false_positive', 'confirmed']);
export type FeedbackKind = z.infer<typeof feedbackKindSchema>;

/** Who gave feedback: an operator in Grafana, or the healing engine's verification of an action. */
export const feedbackSourceSchema = z.enum(['operator', 'verification']);
export type FeedbackSource = z.infer<typeof feedbackSourceSchema>;

/** The Kubernetes object a target maps to (what healing acts on), when the watch says or the labels tell. */
export const kubernetesObjectSchema = z.object({
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Node']),
  namespace: z.string().optional(),
  name: z.string(),
});
export type KubernetesObject = z.infer<typeof kubernetesObjectSchema>;

/**
 * When a signal is forecast to cross its configured limit, with the 90% interval. Present only
 * when the data supports it (a significant trend, within the horizon its history covers, after
 * learning); absent (null on the target) otherwise.
 */
export const timeToFailureSchema = z.object({
  signal: z.string(),
  limit: z.number(),
  direction: limitDirectionSchema,
  /** Best estimate in seconds from `fromMs`. */
  seconds: z.number(),
  /** Earliest plausible crossing (pessimistic edge): what severity and alerts use. */
  lowerSeconds: z.number(),
  /** Latest plausible crossing (optimistic edge); null: the band never crosses. */
  upperSeconds: z.number().nullable(),
  fromMs: z.number(),
  /**
   * The watch's step: the forecast is made again at each sample of its signal, so one made more than
   * FORECAST_STALE_STEPS steps before now is out of date (absent: a backend before this field).
   */
  stepMs: z.number().positive().optional(),
});
export type TimeToFailure = z.infer<typeof timeToFailureSchema>;

/**
 * Steps a forecast outlives its signal's last sample: a scrape or two missed keeps it (counted down
 * from when it was made); longer, the backend drops it and the app shows it as out of date.
 */
export const FORECAST_STALE_STEPS = 5;

/** Seconds from `nowMs` to the forecast's best crossing (0: due or passed). */
export function secondsLeft(ttf: Pick<TimeToFailure, 'seconds' | 'fromMs'>, nowMs: number): number {
  return Math.max(0, ttf.seconds - (nowMs - ttf.fromMs) / 1000);
}

/** Whether a forecast was made more than FORECAST_STALE_STEPS steps before `nowMs`. */
export function forecastStale(ttf: Pick<TimeToFailure, 'fromMs' | 'stepMs'>, nowMs: number): boolean {
  return ttf.stepMs !== undefined && nowMs - ttf.fromMs > FORECAST_STALE_STEPS * ttf.stepMs;
}

/**
 * The forecaster's reasons for no crossing (detection/forecast/trendModel.ts), as the API says them.
 * A reason it adds fails to compile where the pipeline hands it on (SignalModel.noForecast).
 */
const NO_CROSSING_REASONS = [
  'too little history',
  'no significant trend',
  'beyond the horizon its history supports',
] as const satisfies readonly NoCrossingReason[];

/**
 * A limit lies far beyond every value its signal has had, as a limit written in another unit does
 * (detection/forecast/farLimit.ts: 90 on a 0-1 ratio): no trend will be forecast to reach it.
 */
export const FAR_LIMIT = 'limit far beyond every value seen: check its unit';

/**
 * Why a target has no time to failure: none of its signals has a limit; it is learning; its limited
 * signals have had no sample for FORECAST_STALE_STEPS steps; what the forecaster said; or a limit far
 * beyond what was seen. In order: the later, the nearer a forecast (a target says the nearest of its
 * signals'), but FAR_LIMIT last, said over the others: no forecast comes until the limit is put right.
 */
export const noForecastSchema = z.enum(['no limit', 'learning', 'no recent sample', ...NO_CROSSING_REASONS, FAR_LIMIT]);
export type NoForecast = z.infer<typeof noForecastSchema>;

/** What a FAR_LIMIT reason is about: the signal, its limit, and the value seen it is far from (the highest, above; the lowest, below). */
export const farLimitSchema = z.object({
  signal: z.string(),
  limit: z.number(),
  direction: limitDirectionSchema,
  seen: z.number(),
});
export type FarLimit = z.infer<typeof farLimitSchema>;

/** Why a target has no time to failure, in words: its reason, or a far limit's numbers and what to check. */
export function noForecastText({ noForecast, farLimit }: Pick<Target, 'noForecast' | 'farLimit'>): string | undefined {
  if (noForecast !== FAR_LIMIT || farLimit === undefined) {
    return noForecast;
  }
  const { signal, limit, direction, seen } = farLimit;
  const extreme = `${direction === 'above' ? 'max' : 'min'} ${Number(seen.toPrecision(3))}`;
  return `${signal}: limit ${limit} is far ${direction} every value seen (${extreme}): check its unit`;
}

/** One signal (one PromQL query of the watch) of a target at its last scored step. */
export const signalStatusSchema = z.object({
  name: z.string(),
  value: z.number().nullable(),
  expected: z.number().nullable(),
  lower: z.number().nullable(),
  upper: z.number().nullable(),
  score: z.number(),
  direction: directionSchema,
  lastSampleAt: z.number().nullable(),
});
export type SignalStatus = z.infer<typeof signalStatusSchema>;

/** A watched target: one set of values of the watch's target labels. */
export const targetSchema = z.object({
  /** Stable id: `<watch>{label="value",...}` (URL-encode it in paths). */
  id: z.string(),
  watch: z.string(),
  labels: labelsSchema,
  object: kubernetesObjectSchema.nullable(),
  /** Highest signal score at the last step, in [0, 1]. */
  score: z.number(),
  /** Score at or above which this target opens an anomaly (raised by repeated false positives). */
  threshold: z.number(),
  severity: severitySchema.nullable(),
  failureModel: failureModelSchema.nullable(),
  /** The soonest forecast limit crossing among its signals, if any signal has a limit. */
  timeToFailure: timeToFailureSchema.nullable(),
  /** Why `timeToFailure` is null (absent when it is not, and from backends before this field). */
  noForecast: noForecastSchema.optional(),
  /** With `noForecast` FAR_LIMIT, the limit it is about (absent from backends before this field). */
  farLimit: farLimitSchema.optional(),
  openAnomalies: z.number().int(),
  lastScoredAt: z.number().nullable(),
  /** True while the target is still in its learning period (no anomaly is opened, no time to failure). */
  learning: z.boolean(),
  /** How far the learning period is, in [0, 1]; replayed history counts. */
  learningProgress: z.number().min(0).max(1),
  /** Seconds of data still to learn from before the target may alarm (0 once learned). */
  learningSecondsLeft: z.number().nonnegative(),
  /**
   * After the learning period, seconds of data its detector still learns the series' shapes from:
   * meanwhile only gross faults (far beyond the range seen, a drop to zero, stuck flat, stopped) open
   * anomalies. 0 once it scores fully (and in listings stored by builds before this field).
   */
  faultsOnlySecondsLeft: z.number().nonnegative().default(0),
  /** True when its watch's last query failed (scores are stale). */
  degraded: z.boolean(),
  signals: z.array(signalStatusSchema),
  /** The replica that scores it, when replicas share the watches (absent for a single process). */
  owner: z.string().optional(),
  /**
   * Only with `history=true`: the score at its recent steps as `[epoch ms, score]`, oldest first,
   * at most SCORE_HISTORY_POINTS: the highest step of each slice of time, so a spike survives.
   */
  scores: z.array(z.tuple([z.number(), z.number()])).optional(),
});
export type Target = z.infer<typeof targetSchema>;

/** A learning period's time left as people say it ("about 7 h"), for the Overview and the logs alike. */
export function aboutDuration(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) {
    return `about ${minutes} min`;
  }
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `about ${hours} h` : `about ${Math.round(hours / 24)} d`;
}

/** How many points a target's score history has at most (one sparkline's worth). */
export const SCORE_HISTORY_POINTS = 60;

export const feedbackSchema = z.object({
  kind: feedbackKindSchema,
  source: feedbackSourceSchema,
  /** The Grafana user who gave it; none when a healing action's verification recorded it. */
  user: z.string().nullable(),
  comment: z.string().nullable(),
  at: z.number(),
});
export type Feedback = z.infer<typeof feedbackSchema>;

/** The moment an episode was most abnormal: when, which signal, its value and what was expected of it then. */
export const episodePeakSchema = z.object({
  at: z.number(),
  signal: z.string(),
  value: z.number(),
  /** The detector's expected value then (null: the detector has none). */
  expected: z.number().nullable(),
});
export type EpisodePeak = z.infer<typeof episodePeakSchema>;

export const anomalySchema = z.object({
  id: anomalyIdSchema,
  /** Target id (see targetSchema.id). */
  target: z.string(),
  watch: z.string(),
  labels: labelsSchema,
  /** First anomalous step. */
  start: z.number(),
  /** Last anomalous step so far (the anomaly is extended while open). */
  end: z.number(),
  /** Its highest step score: a detector's, or a near limit forecast's (src/server/pipeline/forecastScore.ts) when higher. */
  peakScore: z.number(),
  /** Where the peak score was reached (absent: an episode stored before peaks were, or no signal scored then). */
  peak: episodePeakSchema.optional(),
  severity: severitySchema,
  failureModel: failureModelSchema,
  state: anomalyStateSchema,
  /** The signals that moved (reached the threshold) during the anomaly. */
  signals: z.array(z.string()),
  /** Which side of the band the peak signal left. */
  direction: directionSchema,
  /** Why this severity and failure model, in words. */
  reasons: z.array(z.string()),
  /** Latest feedback first. */
  feedback: z.array(feedbackSchema),
});
export type Anomaly = z.infer<typeof anomalySchema>;

/** A recorded time-to-failure forecast. */
export const predictionSchema = z.object({
  id: z.number().int(),
  target: z.string(),
  watch: z.string(),
  signal: z.string(),
  /** When the forecast was made (the step it was counted from). */
  madeAt: z.number(),
  limit: z.number(),
  direction: limitDirectionSchema,
  seconds: z.number(),
  lowerSeconds: z.number().nullable(),
  upperSeconds: z.number().nullable(),
  /** madeAt + seconds: the predicted crossing. */
  predictedFailureAt: z.number(),
});
export type Prediction = z.infer<typeof predictionSchema>;

/**
 * `retired`: the version its target ran last, kept after the target was forgotten (no samples for
 * pipeline.staleAfter): nothing runs it, and there is nothing to retrain until the target is back.
 */
export const modelStatusSchema = z.enum(['active', 'superseded', 'failed', 'retired']);

/** One trained model of a target: a version in the store. */
export const modelVersionSchema = z.object({
  id: z.number().int(),
  watch: z.string(),
  target: z.string(),
  version: z.number().int(),
  status: modelStatusSchema,
  /** Why training failed (status failed). */
  error: z.string().nullable(),
  trainedAt: z.number(),
  /** The data range it learned from. */
  rangeStart: z.number(),
  rangeEnd: z.number(),
  samples: z.number().int(),
  /** Detector name and options, forecaster settings, excluded incident windows. */
  params: z.record(z.string(), z.unknown()),
  threshold: z.number(),
  feedback: z.object({ falsePositive: z.number().int(), confirmed: z.number().int() }),
  reason: z.enum(['initial', 'scheduled', 'on_demand']),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const watchErrorSchema = z.object({
  /** `too_large`: the answer passed prometheus.maxResponseBytes; `unconfigured`: the watch is off because its data source is not configured. */
  kind: z.enum(['query', 'http', 'malformed', 'too_large', 'timeout', 'unreachable', 'internal', 'unconfigured']),
  message: z.string(),
  at: z.number(),
});

/**
 * What the newest warning of a watch's answers says (Prometheus' `warnings` and `infos`: a partial
 * answer from Thanos with a store down, a federated answer with a member missing), kept while the
 * latest answer to that query still warns. The watch is not degraded: its scores may come from partial data.
 */
export const answerWarningSchema = z.object({
  /** The watch's query (its name in `queries`). */
  query: z.string(),
  message: z.string(),
  /** When an answer last warned of it. */
  at: z.number(),
});

export const watchStatusSchema = z.object({
  name: z.string(),
  queries: z.record(z.string(), z.string()),
  targetLabels: z.array(z.string()),
  stepSeconds: z.number(),
  historySeconds: z.number(),
  /** Where it reads from: a URL or `grafana:<uid>`. */
  source: z.string(),
  targets: z.number().int(),
  series: z.number().int(),
  degraded: z.boolean(),
  lastError: watchErrorSchema.nullable(),
  /** The last step scored (the loop resumes after it). */
  lastProcessedAt: z.number().nullable(),
  lastCycleAt: z.number().nullable(),
  lastCycleSeconds: z.number().nullable(),
  /** Absent while no answer warns, and from backends before this field. */
  warning: answerWarningSchema.optional(),
});
export type AnswerWarning = z.infer<typeof answerWarningSchema>;
export type WatchStatus = z.infer<typeof watchStatusSchema>;

// ---- requests ----

/**
 * The largest page a list route serves. A page is one synchronous SQLite read and JSON encoding, so
 * it holds the event loop (and /healthz) for its whole run: with 100,000 anomalies stored, 1,000 take
 * about 12 ms of that work alone and 5,000 about 50 ms, several times more on a loaded machine;
 * larger listings page with the cursor.
 */
export const MAX_PAGE_LIMIT = 1000;

/**
 * The page a list route serves when the caller does not say: 100, as Grafana's annotations API
 * (`GET /api/annotations`, the nearest thing to a list of anomalies) defaults `limit` to. A page
 * of 500 (kubectl's default chunk) cost 5 ms of SQLite and JSON each with 100,000 rows stored,
 * which bounds a 2-core backend to a few hundred pages a second; the app asks for what it shows.
 */
export const DEFAULT_PAGE_LIMIT = 100;

/** A list's `limit` query parameter: rows on a page, in decimal digits. */
const pageLimitParamSchema = wholeNumberParamSchema(z.number().min(1).max(MAX_PAGE_LIMIT)).default(DEFAULT_PAGE_LIMIT);

export const anomaliesQuerySchema = z
  .object({
    /** Anomalies overlapping [from, to] (epoch ms). */
    from: epochMsParamSchema.optional(),
    to: epochMsParamSchema.optional(),
    target: targetParamSchema.optional(),
    watch: z.string().optional(),
    severity: severitySchema.optional(),
    state: anomalyStateSchema.optional(),
    limit: pageLimitParamSchema,
    /** Where the page starts: the `next` of the previous page (keyset pagination). */
    cursor: cursorParamSchema(z.string().max(200)),
  })
  .superRefine(fromNotAfterTo);
export type AnomaliesQuery = z.infer<typeof anomaliesQuerySchema>;

/**
 * What GET /api/targets sorts by (the Overview's columns): the target's id, its score, its severity
 * (none below low), when its time to failure says it crosses (none: never, after every forecast), its
 * open anomalies.
 */
export const targetSortSchema = z.enum(['target', 'score', 'severity', 'timeToFailure', 'openAnomalies']);
export type TargetSort = z.infer<typeof targetSortSchema>;

export const targetsQuerySchema = z.object({
  watch: z.string().optional(),
  severity: severitySchema.optional(),
  /** Only targets with an open anomaly. */
  anomalous: z.enum(['true', 'false']).optional(),
  /** Only targets whose id (in any case) or failure model holds this text. */
  q: z.string().max(200).optional(),
  /**
   * The order of the whole fleet's listing, ties by id in the same direction (absent: by watch, then
   * in the order each target was first seen). A page's cursor holds its sort.
   */
  sort: targetSortSchema.optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  /** Add each target's recent score history (`scores`); off by default to keep a large fleet's listing light. */
  history: z.enum(['true', 'false']).optional(),
  limit: pageLimitParamSchema,
  /** Where the page starts: the `next` of the previous page. */
  cursor: cursorParamSchema(z.string().max(2000)),
});
export type TargetsQuery = z.infer<typeof targetsQuerySchema>;

export const predictionsQuerySchema = z
  .object({
    target: targetParamSchema.optional(),
    watch: z.string().optional(),
    from: epochMsParamSchema.optional(),
    to: epochMsParamSchema.optional(),
    limit: pageLimitParamSchema,
  })
  .superRefine(fromNotAfterTo);
export type PredictionsQuery = z.infer<typeof predictionsQuerySchema>;

/** What GET /api/models sorts by: the target's id, or when the version was trained (the default). */
export const modelSortSchema = z.enum(['target', 'trainedAt']);
export type ModelSort = z.infer<typeof modelSortSchema>;

export const modelsQuerySchema = z.object({
  target: targetParamSchema.optional(),
  watch: z.string().optional(),
  /** `current`: each target's last trained version, running (active) or its target gone (retired). */
  status: z.union([modelStatusSchema, z.literal('current')]).optional(),
  /** Only models whose target id (in any case) holds this text. */
  q: z.string().max(200).optional(),
  /** The order, ties by the model's id in the same direction. */
  sort: modelSortSchema.default('trainedAt'),
  /** Absent: the newest trained first, targets A to Z. */
  order: z.enum(['asc', 'desc']).optional(),
  /** Add the newest retrain request of each target on the page (`requests`): what the Models page shows beside it. */
  requests: z.enum(['true', 'false']).optional(),
  limit: pageLimitParamSchema,
  /** Where the page starts: the `next` or `previous` of a page in the same order. */
  cursor: cursorParamSchema(z.string().max(2000)),
});
export type ModelsQuery = z.infer<typeof modelsQuerySchema>;

export const feedbackBodySchema = z.object({
  kind: feedbackKindSchema,
  comment: z.string().max(2000).optional(),
});
export type FeedbackBody = z.infer<typeof feedbackBodySchema>;

/** Retrain one target, one watch, or (empty body) everything. */
export const retrainBodySchema = z.object({
  watch: z.string().optional(),
  target: targetParamSchema.optional(),
});
export type RetrainBody = z.infer<typeof retrainBodySchema>;

export const predictQuerySchema = z.object({ target: targetParamSchema.min(1) });

// ---- responses ----

/**
 * `next`: the cursor of the following page, null on the last one; `total`: the targets the filters
 * match on every page (absent from backends before it).
 */
export const targetsResponseSchema = z.object({
  targets: z.array(targetSchema),
  next: z.string().nullable().optional(),
  total: z.number().int().optional(),
});

/** One step of a signal in the detail view: value and learned band at that step. */
export const bandPointSchema = z.object({
  t: z.number(),
  value: z.number().nullable(),
  expected: z.number().nullable(),
  lower: z.number().nullable(),
  upper: z.number().nullable(),
  score: z.number(),
});
export type BandPoint = z.infer<typeof bandPointSchema>;

/** GET /api/targets/:id, scored now or not: its schema is in targetDetail.ts (this module stays under 400 lines). */
export type { TargetDetail } from './targetDetail';

export const anomaliesResponseSchema = z.object({
  anomalies: z.array(anomalySchema),
  next: z.string().nullable().optional(),
});
export const predictionsResponseSchema = z.object({ predictions: z.array(predictionSchema) });
/**
 * `next`, `previous`: the cursors of the pages after and before this one (null: none); with
 * status=current (a model per target), `total`: the models the filters match on every page, and
 * `offset`: how many of them come before this page.
 */
export const modelsResponseSchema = z.object({
  models: z.array(modelVersionSchema),
  next: z.string().nullable().optional(),
  previous: z.string().nullable().optional(),
  total: z.number().int().optional(),
  offset: z.number().int().optional(),
});
export const watchesResponseSchema = z.object({ watches: z.array(watchStatusSchema) });
export const feedbackResponseSchema = z.object({ anomaly: anomalySchema });
export const retrainResponseSchema = z.object({
  /** Targets retrained, and those whose training failed (the old model stays active for them). */
  trained: z.number().int(),
  failed: z.array(z.object({ target: z.string(), error: z.string() })),
  /**
   * With replicas sharing the watches: the targets asked for that other replicas hold, which each
   * retrains at its next cycle (HTTP 202). Absent when this replica did all of it.
   */
  queued: z.array(z.object({ replica: z.string(), targets: z.number().int() })).optional(),
});
export type RetrainResponse = z.infer<typeof retrainResponseSchema>;

/** GET /predict?target=: the original design's model-service/predict. */
export const predictResponseSchema = z.object({
  target: z.string(),
  score: z.number(),
  threshold: z.number(),
  anomalous: z.boolean(),
  severity: severitySchema.nullable(),
  failureModel: failureModelSchema.nullable(),
  timeToFailureSeconds: z.number().nullable(),
  at: z.number().nullable(),
});
export type PredictResponse = z.infer<typeof predictResponseSchema>;
