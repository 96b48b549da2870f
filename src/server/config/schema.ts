import { Cron } from 'croner';
import { z } from 'zod';
import { writtenPolicyListSchema } from '../../contract/healing';
import { safetyLimitsWriteSchema } from '../../contract/healing/settingsWrites';
import { durationUpTo, signalsNamed, writtenWatchListSchema } from '../../contract/watches';
import { kubernetesOptionsSchema } from '../kubernetes/config';
import { DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_EVENT_LOOP_DELAY_MS } from '../http/loadShedding';
import { DEFAULT_LIST_QUEUE } from '../http/lists/script';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../prometheus/bounded';
import { DEFAULT_POOL_LIMITS, isPostgresUrl } from '../store/postgres/pool';
import { LEASE_NAME } from '../coordination/lease';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Durations in config files are Prometheus-style strings ("30s", "5m", "90d") or milliseconds. */
export { durationSchema, parseDurationMs } from '../../contract/watches';

const urlSchema = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

// ---- bounds: every number this file declares has one, so a few digits too many (or 2^53) are refused at start ----

/**
 * The longest a timer setting may be: Node fires a setTimeout longer than 2^31-1 ms (24.8 days) at once, so a
 * timeout or an interval beyond it would do the opposite of what was asked. A day is far past any sane one.
 */
const TIMER_MAX_MS = 86_400_000;
/** The longest span a setting compares times with (staleness, the forecast horizon). */
const SPAN_MAX_MS = 31_536_000_000;

const timerSchema = durationUpTo(TIMER_MAX_MS);
const spanSchema = durationUpTo(SPAN_MAX_MS);

export const prometheusConfigSchema = z.strictObject({
  /** A Prometheus-compatible base URL (Prometheus, Thanos, Mimir, VictoriaMetrics). */
  url: urlSchema.optional(),
  timeout: timerSchema.default(30_000),
  /** Answers larger than this (Prometheus and Grafana's data-source proxy) are aborted while read: the watch shows degraded. */
  maxResponseBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(DEFAULT_MAX_RESPONSE_BYTES),
});

// ---- the detection pipeline: watches, Grafana, retraining ----

// A watch is defined in the contract, so the YAML file and the app's Watches tab share one schema.
export { watchSchema, type WatchConfig } from '../../contract/watches';

const cronSchema = z.string().refine((expr) => {
  try {
    new Cron(expr, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}, 'a cron expression such as "0 3 * * *"');

/**
 * A count written as decimal digits (an FP_* variable is text), so that deleting records never rests
 * on a blank read as 0, hex as 16 or an exponent: any other text stays text, and is refused.
 */
const digitsText = (value: unknown) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value);

/** Days records are kept before retention deletes them; 0 keeps everything (records go only when an operator asks). */
const retentionDaysSchema = z
  .preprocess(
    digitsText,
    z
      .number({ error: 'must be a whole number of days such as 30 (0 keeps everything)' })
      .int()
      .min(0)
      .max(3650, 'must be at most 3650 days (ten years); 0 keeps everything')
  )
  .default(0);

export const pipelineConfigSchema = z.strictObject({
  /** When every target is retrained (cron, server time zone). */
  retrain: cronSchema.default('0 3 * * *'),
  /** Recent steps per signal kept in memory for the target detail view. */
  detailPoints: z.number().int().min(0).max(10_000).default(120),
  /** A target without samples this long is forgotten (its open anomaly closed). */
  staleAfter: spanSchema.default(86_400_000),
  /** Prometheus refuses more than 11,000 points per series; longer ranges are split. */
  maxPointsPerQuery: z.number().int().min(10).max(11_000).default(11_000),
  /**
   * Points of all series together (series × steps) in one query_range answer of a catch-up
   * (catchUp.ts): 50,000 points are about 1.5 MiB of JSON besides the series' labels.
   */
  maxPointsPerAnswer: z.number().int().min(100).max(10_000_000).default(50_000),
  /** Retries of a query that failed transiently (5xx, timeout, unreachable), with backoff and jitter. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Time-to-failure forecasts further out than this are not recorded as predictions. */
  predictionHorizon: spanSchema.default(86_400_000),
  /**
   * Targets with their own series in /metrics (score, open anomalies, learning, time to failure),
   * over all watches: beyond it, targets with an open anomaly or a time to failure take the place
   * of quiet ones, and the rest are in the API only. Bounds what Prometheus scrapes at 100k series.
   */
  maxTargetSeries: z.coerce.number().int().min(0).max(1_000_000).default(2000),
  /**
   * Days closed anomalies (with their feedback), predictions and superseded model versions are kept
   * (src/server/pipeline/store/retention.ts); 0 keeps everything.
   */
  retentionDays: retentionDaysSchema,
});

export const grafanaConfigSchema = z.strictObject({
  /** Grafana's base URL: data-source proxy for watches with `source.grafana`, and anomaly annotations. */
  url: urlSchema.optional(),
  /** A service-account token (Viewer for queries, Editor to write annotations). */
  token: z.string().min(1).optional(),
});

// ---- healing: policies, safety limits, notifications, retention ----

export const healingConfigSchema = z.strictObject({
  /** Absent: the default policies. Once an admin saves policies through the API, the store wins over this. */
  policies: writtenPolicyListSchema.optional(),
  /** Absent: the default limits. Likewise overridden by limits saved through the API. */
  limits: safetyLimitsWriteSchema.optional(),
  /** How often the engine expires proposals, executes approved actions and verifies finished ones. */
  tickInterval: timerSchema.default(2000),
  notify: z.strictObject({ webhookUrl: urlSchema.optional() }).default({}),
  /**
   * Days finished actions, their closed triggers and audit entries are kept (src/server/healing/retention.ts);
   * 0 keeps everything: an audit log is deleted only when an operator asks.
   */
  retentionDays: retentionDaysSchema,
});

// ---- the store: embedded SQLite by default; PostgreSQL (preview) for what replicas share ----

export const storeConfigSchema = z.strictObject({
  /** postgres://user[:password]@host[:port]/database; unset: SQLite in dataDir. Never echoed in messages. */
  url: z
    .string()
    .refine(isPostgresUrl, 'must be a PostgreSQL URL such as postgres://user@host:5432/failureprophet')
    .optional(),
  /** Connections one replica opens at most (every replica counts against the server's max_connections). */
  maxConnections: z.number().int().min(1).max(100).default(DEFAULT_POOL_LIMITS.maxConnections),
});

// ---- coordination: which replica leads (executes healing actions, runs scheduled retraining) ----

/**
 * A Kubernetes Lease when Kubernetes is configured, else a PostgreSQL advisory lock when store.url
 * is set, else one replica that always leads (src/server/coordination/leadership.ts).
 */
export const coordinationConfigSchema = z
  .strictObject({
    /** The Lease every replica campaigns on; deploy/rbac.yaml's Role grants leases in the backend's namespace only. */
    leaseName: z.string().min(1).default(LEASE_NAME),
    /** The Lease's namespace; unset: the pod's own (its service-account file), else "default". */
    leaseNamespace: z.string().min(1).optional(),
    /** This replica's name among the candidates; unset: POD_NAME, else the host name. */
    identity: z.string().min(1).optional(),
    /** How long a leader that stopped renewing keeps leading: whole seconds, as a Lease counts them. */
    leaseDuration: timerSchema
      .refine((ms) => ms >= 1000 && ms % 1000 === 0, 'whole seconds, at least 1s')
      .default(15_000),
    /** How often every replica campaigns: the leader renews, the others look for an expired lease. */
    renewInterval: timerSchema.refine((ms) => ms > 0, 'a positive duration').default(5_000),
    /**
     * A leader that has not renewed for this long stops acting, before its lease can expire and
     * another replica take it (client-go's RenewDeadline); unset: halfway between the two above.
     */
    renewDeadline: timerSchema.optional(),
  })
  .refine((c) => c.renewInterval < c.leaseDuration, {
    path: ['renewInterval'],
    error: 'must be shorter than coordination.leaseDuration, or the leader loses its lease between renewals',
  })
  .refine(
    (c) => c.renewDeadline === undefined || (c.renewInterval < c.renewDeadline && c.renewDeadline < c.leaseDuration),
    {
      path: ['renewDeadline'],
      error:
        'must be longer than coordination.renewInterval (or a leader that renews stops between renewals) and shorter than coordination.leaseDuration (or two replicas act at once)',
    }
  )
  // The margin left (a third of the default 15s lease, as client-go's 15s / 10s) covers a late
  // timer, an action already under way and two nodes' clocks running at slightly different rates
  // (a follower counts the lease on its own clock from when it read the last renewal, lease.ts).
  .transform((c) => ({ ...c, renewDeadline: c.renewDeadline ?? (c.renewInterval + c.leaseDuration) / 2 }));

/** Alertmanager, read for its silences: an automatic action on a silenced target waits for approval. */
export const alertmanagerConfigSchema = z.strictObject({
  /** Its base URL (the v2 API is under /api/v2); basic auth may be given in the URL. */
  url: urlSchema.optional(),
  timeout: timerSchema.default(10_000),
});

/** `true` or `false`, as YAML writes it or as an FP_* variable holds it (text); any other text is refused. */
const booleanText = (value: unknown) =>
  typeof value === 'string' && /^\s*(true|false)\s*$/i.test(value) ? value.trim().toLowerCase() === 'true' : value;

/**
 * Who may read /metrics (src/server/http/auth.ts MetricsAccess). Public by default, so existing scrapes keep
 * working; its label values name watches and targets, so an operator can protect it as Grafana's own
 * [metrics] basic_auth_username / basic_auth_password do.
 */
export const metricsConfigSchema = z
  .strictObject({
    /** Scrapes need the API token (a scrape_config's `authorization`) or `basicAuth` (its `basic_auth`). */
    requireAuth: z.preprocess(booleanText, z.boolean()).default(false),
    basicAuth: z
      .strictObject({
        /** RFC 7617: a user-id holds no colon. */
        username: z
          .string()
          .min(1)
          .regex(/^[^:]*$/, 'must not hold a colon (basic auth ends the user at the first one)'),
        password: z.string().min(16, 'at least 16 characters'),
      })
      .optional(),
  })
  .refine((m) => m.basicAuth === undefined || m.requireAuth, {
    path: ['requireAuth'],
    error: 'must be true when metrics.basicAuth is set (FP_METRICS_REQUIRE_AUTH=true), or /metrics stays public',
  });

export const configSchema = z.strictObject({
  port: z.coerce.number().int().min(1).max(65535).default(3001),
  host: z.string().min(1).default('0.0.0.0'),
  /** Bearer token of the full API (Grafana's plugin proxy); generated into the data dir when unset. */
  apiToken: z.string().min(16, 'at least 16 characters').optional(),
  /** Bearer token that may only POST /api/alerts (Alertmanager, Grafana contact points); generated likewise. */
  alertToken: z.string().min(16, 'at least 16 characters').optional(),
  dataDir: z.string().min(1).default('./data'),
  logLevel: z.enum(logLevels).default('info'),
  server: z
    .strictObject({
      /** Requests in flight beyond which the API answers 503 with Retry-After (/healthz, /readyz, /metrics exempt). */
      maxConcurrentRequests: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_MAX_CONCURRENT_REQUESTS),
      /** Event-loop delay beyond which the API answers 503 with Retry-After likewise (same routes exempt). */
      maxEventLoopDelay: timerSchema
        .refine((ms) => ms > 0, 'a positive duration')
        .default(DEFAULT_MAX_EVENT_LOOP_DELAY_MS),
      /** Worker threads reading list pages from the SQLite file at most; 0: pages are read on the main loop. Absent: one per core, at most 4. */
      listWorkers: z.coerce.number().int().min(0).max(16).optional(),
      /** List pages waiting for a worker beyond which a list request is answered 503 with Retry-After. */
      listQueue: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_LIST_QUEUE),
    })
    .default({
      maxConcurrentRequests: DEFAULT_MAX_CONCURRENT_REQUESTS,
      maxEventLoopDelay: DEFAULT_MAX_EVENT_LOOP_DELAY_MS,
      listQueue: DEFAULT_LIST_QUEUE,
    }),
  prometheus: prometheusConfigSchema.default(prometheusConfigSchema.parse({})),
  /** What to watch; absent: the default node-exporter / kube-state-metrics / cAdvisor watches. */
  watches: writtenWatchListSchema.superRefine(signalsNamed).optional(),
  grafana: grafanaConfigSchema.default({}),
  pipeline: pipelineConfigSchema.default(pipelineConfigSchema.parse({})),
  healing: healingConfigSchema.default(healingConfigSchema.parse({})),
  alertmanager: alertmanagerConfigSchema.default(alertmanagerConfigSchema.parse({})),
  /** How to reach Kubernetes; absent: from FP_KUBE_URL + FP_KUBE_TOKEN, KUBECONFIG or the in-cluster service account, else none. */
  kubernetes: kubernetesOptionsSchema.optional(),
  store: storeConfigSchema.default(storeConfigSchema.parse({})),
  coordination: coordinationConfigSchema.default(coordinationConfigSchema.parse({})),
  metrics: metricsConfigSchema.default({ requireAuth: false }),
});

export type Config = z.infer<typeof configSchema>;
