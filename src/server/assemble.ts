import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from './clock';
import type { Config } from './config/schema';
import {
  buildLeadership,
  leaseSpace,
  replicaIdentity,
  type Leadership,
  type LeaseSpace,
} from './coordination/leadership';
import { startWatchSharing, type WatchSharing } from './coordination/sharing';
import type { HealingEngine } from './healing';
import { buildHealing } from './healing/build';
import { healingRoutes } from './http/routes/healing';
import { pipelineRoutes } from './http/routes/pipeline';
import { watchRoutes } from './http/routes/watches';
import { Pipeline } from './pipeline/pipeline';
import { DetectionRetention, retentionWarnings } from './pipeline/store/retention';
import { WatchSettings } from './pipeline/watchSettings';
import type { PostgresStore } from './store/postgres';
import type { SqliteStore } from './store/sqlite';

export interface Backend {
  pipeline: Pipeline;
  healing: HealingEngine;
  /** Which replica executes healing actions and retrains on the cron; main starts it and releases it last. */
  leadership: Leadership;
  /** With replicas (Kubernetes or PostgreSQL), this one's share of the targets; main withdraws it after the pipeline stopped. */
  sharing?: WatchSharing;
  /** Prunes the detection records on the leader (FP_DETECTION_RETENTION_DAYS); main starts and stops it. */
  detectionRetention: DetectionRetention;
  /** Every authenticated route, for buildServer. */
  routes: FastifyPluginAsyncZod[];
}

/**
 * The loops and their routes, wired the one way both main and the tests that run the whole
 * backend use: watch settings (saved ones win over the file) → pipeline → healing → routes.
 * Nothing is started but the membership of replicas sharing the watches (on Kubernetes or
 * PostgreSQL), which must be known before the pipeline loads targets. Throws LeadershipConfigError
 * when the configured Kubernetes cannot be set up.
 */
export async function assembleBackend(deps: {
  config: Config;
  store: SqliteStore | PostgresStore;
  logger: Logger;
  metrics: Registry;
  /** The one clock of every loop (main passes systemClock). */
  clock: Clock;
}): Promise<Backend> {
  const { config, store, logger, metrics, clock } = deps;
  // One client for the configured Kubernetes, shared by the Leases, watch sharing and healing.
  const space = leaseSpace(config, clock);
  const leadership = buildLeadership({ config, clock, logger, metrics, space });
  const leads = () => leadership.isLeader();
  const watchSettings = new WatchSettings({
    settings: store.settings,
    fromFile: config.watches,
    logger,
    clock,
  });
  await watchSettings.load();
  const watches = watchSettings.current().parsed;
  const sharing = await shareWatches(config, store, clock, watches, space);
  // The watch loop resumes from where the store says it stopped.
  const pipeline = new Pipeline({
    config,
    repository: store.pipeline,
    logger,
    metrics,
    clock,
    watches,
    ownership: sharing?.ownership,
    // Sharing the watches, each replica retrains the targets it holds; otherwise the leader does.
    leads: sharing ? undefined : leads,
  });
  await pipeline.init();
  const healing = await buildHealing({
    config,
    store,
    logger,
    metrics,
    clock,
    pipeline,
    leads,
    // With an election, what another replica left executing waits for the claim fence.
    election:
      leadership.role() === 'single'
        ? undefined
        : { leaseDurationMs: config.coordination.leaseDuration, leadingSince: () => leadership.leadingSince() },
    kube: space?.client,
  });
  // A new leader executes what was approved (and recovers what a dead leader left) at once.
  leadership.onGained(() => void healing.tick());
  const detectionRetention = new DetectionRetention({
    days: config.pipeline.retentionDays,
    repo: store.pipeline,
    // The watches as they run now: one added later with a longer history keeps its feedback too.
    longestHistory: () => Math.max(0, ...pipeline.watches().map((w) => w.historySeconds * 1000)),
    leads,
    metrics,
    logger,
    now: () => clock.now(),
  });
  for (const warning of retentionWarnings(config.pipeline.retentionDays, config.healing.retentionDays, watches)) {
    logger.warn(warning);
  }
  const routes = [
    pipelineRoutes(pipeline, config.pipeline.retentionDays),
    watchRoutes(pipeline, watchSettings, (change) =>
      healing.audit.append({ at: clock.now(), kind: 'watches_changed', ...change })
    ),
    ...healingRoutes(healing),
  ];
  return { pipeline, healing, leadership, sharing, detectionRetention, routes };
}

/** The longest watch step assumed when sharing the watches: a watch changed later may have a longer one. */
const MIN_SETTLE_STEP_MS = 5 * 60_000;

/**
 * Replicas share the watches when they can see each other: on Kubernetes through member Leases,
 * else through the PostgreSQL they share. A lone SQLite process watches everything.
 */
async function shareWatches(
  config: Config,
  store: SqliteStore | PostgresStore,
  clock: Clock,
  watches: Array<{ step: number }>,
  kube: LeaseSpace | undefined
): Promise<WatchSharing | undefined> {
  const pool = store.kind === 'postgres' ? store.pool : undefined;
  if (!kube && !pool) {
    return undefined;
  }
  const c = config.coordination;
  const longestStep = Math.max(MIN_SETTLE_STEP_MS, ...watches.map((w) => w.step));
  return startWatchSharing({
    identity: replicaIdentity(config),
    clock,
    kube,
    pool,
    group: c.leaseName,
    leaseDurationSeconds: c.leaseDuration / 1000,
    renewEveryMs: c.renewInterval,
    // The replica giving targets up reads the new member list and runs a cycle (storing them) first.
    settleMs: c.renewInterval + longestStep,
  });
}
