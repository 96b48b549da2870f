import { z } from 'zod';
import { PRODUCT_DETECTOR_NAMES } from '../detection/registry';
import { CLASSIC_LABEL_NAME, prometheusLabelNameSchema } from './vocabulary';

/**
 * What to watch, as the YAML file (`watches:`) and the app's Watches config tab write it. One
 * schema for both: the backend's config schema is built from `watchSchema` below, so the same
 * text is valid (or refused for the same reason) in either place.
 */

// ---- durations: Prometheus-style text ("30s", "5m", "1h30m", "90d") or milliseconds ----

const DURATION_RE = /^(\d+(ms|s|m|h|d|w|y))+$/;
const UNIT_MS: Record<string, number> = {
  y: 31_536_000_000,
  w: 604_800_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

export function parseDurationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * UNIT_MS[unit];
  }
  return total;
}

/** The shortest Prometheus-style text for a number of milliseconds (90_000 → "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) {
    return '0s';
  }
  let rest = ms;
  let text = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

const DURATION_MESSAGE = 'a duration such as "30s", "5m", "1h30m" or "90d", or a number of milliseconds';

/** A duration as written, before it is turned into milliseconds. */
export const durationTextSchema = z.union(
  [z.number().int().nonnegative(), z.string().regex(DURATION_RE, DURATION_MESSAGE)],
  { error: DURATION_MESSAGE }
);
export type DurationText = z.infer<typeof durationTextSchema>;

export const toMs = (d: DurationText): number => (typeof d === 'number' ? d : parseDurationMs(d));

/** A duration, parsed to milliseconds. */
export const durationSchema = durationTextSchema.transform(toMs);

const atMost = (maxMs: number) => `must be at most ${formatDuration(maxMs)} (${maxMs} ms)`;

/** A duration as written, at most `maxMs`; the message names the bound in the words a config file uses. */
const durationTextUpTo = (maxMs: number) => durationTextSchema.refine((d) => toMs(d) <= maxMs, atMost(maxMs));

/** A duration at most `maxMs`, parsed to milliseconds. */
export const durationUpTo = (maxMs: number) => durationSchema.refine((ms) => ms <= maxMs, atMost(maxMs));

// ---- one watch ----

const signalNameSchema = z.string().regex(CLASSIC_LABEL_NAME, 'a signal name: letters, digits and _');
/**
 * A Grafana data source's uid, written as one path segment of Grafana's data-source proxy URL. `.` and `..`
 * stay dot segments however they are encoded (the URL standard reads `%2e` as `.`), so they would address
 * another data source or another Grafana API path: refused. Other text is encoded into its segment.
 */
const grafanaUidSchema = z
  .string()
  .min(1, 'a Grafana data source uid')
  .refine((uid) => uid !== '.' && uid !== '..', 'a Grafana data source uid, not a dot segment (. or ..)');
const urlSchema = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

/** A forecaster limit: a number means "failure when the signal rises to it". */
const limitSchema = z.union([
  z.number(),
  z
    .strictObject({ above: z.number().optional(), below: z.number().optional() })
    .refine((l) => l.above !== undefined || l.below !== undefined, 'give above, below or both'),
]);

export const SIGNAL_KINDS = [
  'up',
  'restarts',
  'cpu',
  'memory',
  'disk',
  'latency',
  'errors',
  'traffic',
  'temperature',
  'other',
] as const;
export const OBJECT_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Node'] as const;

const watchNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - (it appears in target ids and metric labels)');

/** Why a word is not a watch's name, by the rule the watches are saved with (and policies name them with). */
export function watchNameProblem(word: string): string | undefined {
  const result = watchNameSchema.safeParse(word);
  return result.success ? undefined : `"${word}" is not a watch name: ${result.error.issues[0].message}`;
}

/** A watch as written: optional fields left out take the defaults `watchSchema` fills in. */
export const watchDefinitionSchema = z.strictObject({
  name: watchNameSchema,
  /** Signal name → PromQL. Several make a multivariate watch (latency + memory + error rate). */
  queries: z
    .record(signalNameSchema, z.string().trim().min(1, 'a PromQL query'))
    .refine((q) => Object.keys(q).length > 0, 'at least one query'),
  /**
   * The labels whose values make one target (e.g. [namespace, deployment]); [] makes the whole watch one target.
   * Prometheus 3's UTF-8 names too (`service.name`): the PromQL the backend writes quotes them.
   */
  target: z.array(prometheusLabelNameSchema).optional(),
  /** Default 1m. */
  step: durationTextSchema.refine((d) => toMs(d) >= 1000, 'at least 1s').optional(),
  /** How far back a target's history is replayed on first sight and on retraining; default 7d. */
  history: durationTextSchema.optional(),
  /** Where the queries go: a Prometheus-compatible URL or a Grafana data source (by uid); default prometheus.url. */
  source: z
    .union([z.strictObject({ prometheus: urlSchema }), z.strictObject({ grafana: grafanaUidSchema })])
    .optional(),
  /** Forecaster limits per signal (memory limit, disk size, latency SLO): time to failure is the time to cross them. */
  limits: z.record(signalNameSchema, limitSchema).optional(),
  /** What each signal measures, for the failure model; guessed from its name otherwise. */
  kinds: z.record(signalNameSchema, z.enum(SIGNAL_KINDS)).optional(),
  /** The Kubernetes object a target maps to, by which of its labels name it; guessed from the labels otherwise. */
  object: z
    .strictObject({
      kind: z.enum(OBJECT_KINDS),
      name: prometheusLabelNameSchema,
      namespace: prometheusLabelNameSchema.optional(),
    })
    .optional(),
  /** Labels shared by replicas of one group (e.g. [namespace, deployment]): a target departing from its peers is flagged. */
  peers: z.array(prometheusLabelNameSchema).optional(),
  /** Default failureprophet. */
  detector: z.enum(PRODUCT_DETECTOR_NAMES).optional(),
  /** Score that opens an anomaly (default the detection library's recommended threshold). */
  threshold: z.number().min(0).max(1).optional(),
  /** Steps of a new target's history that are only learned from (NAB's probation); default min(15% of history, 750). */
  probation: z.number().int().nonnegative().optional(),
  /** Quiet steps after which an open anomaly is closed; default 6. */
  closeAfter: z.number().int().min(1).optional(),
  /** How far behind now the loop stays, so the newest step is complete in Prometheus; default 30s. */
  lag: durationTextSchema.optional(),
});
export type WatchDefinition = z.infer<typeof watchDefinitionSchema>;

/**
 * The most a watch's numbers may be where watches are written (the file, PUT /api/admin/watches); watches
 * saved before these bounds still load. A step or lag past a day leaves no loop to speak of, a history past
 * a year is more than any replay needs, and a probation or closeAfter of millions of steps never ends.
 */
const WATCH_BOUNDS = {
  step: durationTextUpTo(UNIT_MS.d),
  lag: durationTextUpTo(UNIT_MS.d),
  history: durationTextUpTo(UNIT_MS.y),
  probation: z.number().max(1_000_000, 'must be at most 1000000 steps'),
  closeAfter: z.number().max(100_000, 'must be at most 100000 steps'),
};

/** A watch as a request or the config file writes it: a definition, each number within its bound. */
export const writtenWatchSchema = watchDefinitionSchema.superRefine((w, ctx) => {
  for (const [field, bound] of Object.entries(WATCH_BOUNDS)) {
    const value = w[field as keyof typeof WATCH_BOUNDS];
    const result = value === undefined ? undefined : bound.safeParse(value);
    if (result && !result.success) {
      ctx.addIssue({ code: 'custom', path: [field], message: result.error.issues[0].message });
    }
  }
});

/** A watch as the backend runs it: durations in milliseconds, defaults filled in. */
const toWatch = (w: WatchDefinition) => ({
  name: w.name,
  queries: w.queries,
  target: w.target ?? [],
  step: toMs(w.step ?? 60_000),
  history: toMs(w.history ?? 7 * 86_400_000),
  source: w.source,
  limits: w.limits ?? {},
  kinds: w.kinds ?? {},
  object: w.object,
  peers: w.peers,
  detector: w.detector ?? 'failureprophet',
  threshold: w.threshold,
  probation: w.probation,
  closeAfter: w.closeAfter ?? 6,
  lag: toMs(w.lag ?? 30_000),
});
export const watchSchema = watchDefinitionSchema.transform(toWatch);
export type WatchConfig = z.output<typeof watchSchema>;

/** A watch as run, written back as a definition (durations as text), e.g. to show the file's watches for editing. */
export function toDefinition(w: WatchConfig): WatchDefinition {
  const d: WatchDefinition = {
    name: w.name,
    queries: w.queries,
    target: w.target,
    step: formatDuration(w.step),
    history: formatDuration(w.history),
    limits: w.limits,
    kinds: w.kinds,
    detector: w.detector,
    closeAfter: w.closeAfter,
    lag: formatDuration(w.lag),
  };
  for (const key of ['source', 'object', 'peers', 'threshold', 'probation'] as const) {
    if (w[key] !== undefined) {
      Object.assign(d, { [key]: w[key] });
    }
  }
  return d;
}

/**
 * A limit or kind for a name that is not one of its watch's queries applies to nothing (a misspelt
 * signal: memory without its limit never gets a time to failure): refused where watches come in
 * (the file, PUT /api/admin/watches). Watches saved before this check are read back without it.
 */
export function signalsNamed(
  watches: Array<{ queries: Record<string, string>; limits?: object; kinds?: object }>,
  ctx: z.RefinementCtx
): void {
  watches.forEach((w, i) => {
    for (const key of ['limits', 'kinds'] as const) {
      for (const signal of Object.keys(w[key] ?? {}).filter((s) => !Object.hasOwn(w.queries, s))) {
        ctx.addIssue({
          code: 'custom',
          path: [i, key, signal],
          message: `"${signal}" is not a query of this watch (its queries: ${Object.keys(w.queries).join(', ')})`,
        });
      }
    }
  });
}

function uniqueNames(watches: Array<{ name: string }>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  watches.forEach((w, i) => {
    if (seen.has(w.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `watch name "${w.name}" is used twice` });
    }
    seen.add(w.name);
  });
}

export const watchDefinitionListSchema = z.array(watchDefinitionSchema).superRefine(uniqueNames);
export const watchListSchema = z.array(watchSchema).superRefine(uniqueNames);
/** The config file's watches: bounded as written, run as parsed. */
export const writtenWatchListSchema = z.array(writtenWatchSchema.transform(toWatch)).superRefine(uniqueNames);

// ---- the API ----

/** Where the watches the backend runs come from: saved by an admin (wins), the FP_CONFIG file, or the built-in defaults. */
export const watchesSourceSchema = z.enum(['store', 'file', 'defaults']);
export type WatchesSource = z.infer<typeof watchesSourceSchema>;

/** GET /api/watches/config, and the answer of PUT and DELETE /api/admin/watches. */
export const watchesConfigResponseSchema = z.object({
  watches: z.array(watchDefinitionSchema),
  source: watchesSourceSchema,
  /** When and by whom the saved watches were saved (source "store"). */
  updatedAt: z.number().optional(),
  updatedBy: z.string().optional(),
  /** Why watches saved in the store are not used (unreadable), when that is the case. */
  storeError: z.string().optional(),
});
export type WatchesConfigResponse = z.infer<typeof watchesConfigResponseSchema>;

/**
 * PUT /api/admin/watches (Admin through Grafana's proxy). Besides this schema, the backend asks
 * each watch's data source to evaluate its queries once: a PromQL it refuses is a 400 naming
 * `body.watches.<i>.queries.<signal>`.
 */
export const putWatchesBodySchema = z.object({
  watches: z.array(writtenWatchSchema).superRefine(uniqueNames).superRefine(signalsNamed),
});
export type PutWatchesBody = z.infer<typeof putWatchesBodySchema>;
