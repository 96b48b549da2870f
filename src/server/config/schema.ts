import { Cron } from 'croner';
import { z } from 'zod';
import { DETECTOR_NAMES } from '../../detection';
import { policyListSchema, safetyLimitsSchema } from '../../contract/healing';
import { kubernetesOptionsSchema } from '../kubernetes/config';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Durations in config files are Prometheus-style strings ("30s", "5m", "90d") or milliseconds. */
export const durationSchema = z.union(
  [z.number().int().nonnegative(), z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/).transform(parseDurationMs)],
  { error: 'a duration such as "30s", "5m", "1h30m" or "90d", or a number of milliseconds' }
);

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

export function parseDurationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * UNIT_MS[unit];
  }
  return total;
}

const urlSchema = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

export const prometheusConfigSchema = z.strictObject({
  /** A Prometheus-compatible base URL (Prometheus, Thanos, Mimir, VictoriaMetrics). */
  url: urlSchema.optional(),
  timeout: durationSchema.default(30_000),
});


// ---- the detection pipeline: watches, Grafana, retraining ----

const signalNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a signal name: letters, digits and _');
const labelNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Prometheus label name');

/** A forecaster limit: a number means "failure when the signal rises to it". */
const limitSchema = z.union([
  z.number(),
  z.strictObject({ above: z.number().optional(), below: z.number().optional() }).refine((l) => l.above !== undefined || l.below !== undefined, 'give above, below or both'),
]);

export const watchSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - (it appears in target ids and metric labels)'),
  /** Signal name → PromQL. Several make a multivariate watch (latency + memory + error rate). */
  queries: z.record(signalNameSchema, z.string().min(1)).refine((q) => Object.keys(q).length > 0, 'at least one query'),
  /** The labels whose values make one target (e.g. [namespace, deployment]); [] makes the whole watch one target. */
  target: z.array(labelNameSchema).default([]),
  step: durationSchema.default(60_000).refine((ms) => ms >= 1000, 'at least 1s'),
  /** How far back a target's history is replayed on first sight and on retraining. */
  history: durationSchema.default(7 * 86_400_000),
  /** Where the queries go: a Prometheus-compatible URL or a Grafana data source (by uid); default prometheus.url. */
  source: z.union([z.strictObject({ prometheus: urlSchema }), z.strictObject({ grafana: z.string().min(1) })]).optional(),
  /** Forecaster limits per signal (memory limit, disk size, latency SLO): time to failure is the time to cross them. */
  limits: z.record(signalNameSchema, limitSchema).default({}),
  /** What each signal measures (cpu, memory, latency, ...), for the failure model; guessed from its name otherwise. */
  kinds: z.record(signalNameSchema, z.enum(['up', 'restarts', 'cpu', 'memory', 'disk', 'latency', 'errors', 'traffic', 'other'])).default({}),
  /** The Kubernetes object a target maps to, by which of its labels name it; guessed from the labels otherwise. */
  object: z
    .strictObject({ kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Node']), name: labelNameSchema, namespace: labelNameSchema.optional() })
    .optional(),
  /** Labels shared by replicas of one group (e.g. [namespace, deployment]): a target departing from its peers is flagged. */
  peers: z.array(labelNameSchema).optional(),
  detector: z.enum(DETECTOR_NAMES as [string, ...string[]]).default('failureprophet'),
  /** Score that opens an anomaly (default the detection library's recommended threshold). */
  threshold: z.number().min(0).max(1).optional(),
  /** Steps of a new target's history that are only learned from (NAB's probation); default min(15% of history, 750). */
  probation: z.number().int().nonnegative().optional(),
  /** Quiet steps after which an open anomaly is closed. */
  closeAfter: z.number().int().min(1).default(6),
  /** How far behind now the loop stays, so the newest step is complete in Prometheus. */
  lag: durationSchema.default(30_000),
});
export type WatchConfig = z.infer<typeof watchSchema>;

const cronSchema = z.string().refine((expr) => {
  try {
    new Cron(expr, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}, 'a cron expression such as "0 3 * * *"');

export const pipelineConfigSchema = z.strictObject({
  /** When every target is retrained (cron, server time zone). */
  retrain: cronSchema.default('0 3 * * *'),
  /** Recent steps per signal kept in memory for the target detail view. */
  detailPoints: z.number().int().min(0).max(10_000).default(120),
  /** A target without samples this long is forgotten (its open anomaly closed). */
  staleAfter: durationSchema.default(86_400_000),
  /** Prometheus refuses more than 11,000 points per series; longer ranges are split. */
  maxPointsPerQuery: z.number().int().min(10).max(11_000).default(11_000),
  /** Retries of a query that failed transiently (5xx, timeout, unreachable), with backoff and jitter. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Time-to-failure forecasts further out than this are not recorded as predictions. */
  predictionHorizon: durationSchema.default(86_400_000),
});

export const grafanaConfigSchema = z.strictObject({
  /** Grafana's base URL: data-source proxy for watches with `source.grafana`, and anomaly annotations. */
  url: urlSchema.optional(),
  /** A service-account token (Viewer for queries, Editor to write annotations). */
  token: z.string().min(1).optional(),
});

function uniqueWatchNames(watches: WatchConfig[] | undefined, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  watches?.forEach((w, i) => {
    if (seen.has(w.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `watch name "${w.name}" is used twice` });
    }
    seen.add(w.name);
  });
}

// ---- healing: policies, safety limits, notifications ----

export const healingConfigSchema = z.strictObject({
  /** Absent: the default policies. Once an admin saves policies through the API, the store wins over this. */
  policies: policyListSchema.optional(),
  /** Absent: the default limits. Likewise overridden by limits saved through the API. */
  limits: safetyLimitsSchema.optional(),
  /** How often the engine expires proposals, executes approved actions and verifies finished ones. */
  tickInterval: durationSchema.default(2000),
  notify: z.strictObject({ webhookUrl: urlSchema.optional() }).default({}),
});

export const configSchema = z.strictObject({
  port: z.coerce.number().int().min(1).max(65535).default(3001),
  host: z.string().min(1).default('0.0.0.0'),
  /** Bearer token every /api route requires; generated into the data dir when unset. */
  apiToken: z.string().min(16, 'at least 16 characters').optional(),
  dataDir: z.string().min(1).default('./data'),
  logLevel: z.enum(logLevels).default('info'),
  prometheus: prometheusConfigSchema.default({ timeout: 30_000 }),
  /** What to watch; absent: the default node-exporter / kube-state-metrics / cAdvisor watches. */
  watches: z.array(watchSchema).optional().superRefine(uniqueWatchNames),
  grafana: grafanaConfigSchema.default({}),
  pipeline: pipelineConfigSchema.default(pipelineConfigSchema.parse({})),
  healing: healingConfigSchema.default(healingConfigSchema.parse({})),
  /** How to reach Kubernetes; absent: from FP_KUBE_URL + FP_KUBE_TOKEN, KUBECONFIG or the in-cluster service account, else none. */
  kubernetes: kubernetesOptionsSchema.optional(),
});

export type Config = z.infer<typeof configSchema>;
