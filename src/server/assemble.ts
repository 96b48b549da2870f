import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from './clock';
import type { Config } from './config/schema';
import { buildLeadership, type Leadership } from './coordination/leadership';
import type { HealingEngine } from './healing';
import { buildHealing } from './healing/build';
import { healingRoutes } from './http/routes/healing';
import { pipelineRoutes } from './http/routes/pipeline';
import { watchRoutes } from './http/routes/watches';
import { Pipeline } from './pipeline/pipeline';
import { WatchSettings } from './pipeline/watchSettings';
import type { Store } from './store/store';

export interface Backend {
  pipeline: Pipeline;
  healing: HealingEngine;
  /** Which replica executes healing actions and retrains on the cron; main starts it and releases it last. */
  leadership: Leadership;
  /** Every authenticated route, for buildServer. */
  routes: FastifyPluginAsyncZod[];
}

/**
 * The loops and their routes, wired the one way both main and the tests that run the whole
 * backend use: watch settings (saved ones win over the file) → pipeline → healing → routes.
 * Nothing is started. Throws KubernetesConfigError (LeadershipConfigError) when the configured
 * Kubernetes cannot be set up.
 */
export async function assembleBackend(deps: {
  config: Config;
  store: Store;
  logger: Logger;
  metrics: Registry;
  /** The one clock of every loop (main passes systemClock). */
  clock: Clock;
}): Promise<Backend> {
  const { config, store, logger, metrics, clock } = deps;
  const leadership = buildLeadership({ config, clock, logger, metrics });
  const leads = () => leadership.isLeader();
  const watchSettings = new WatchSettings({
    settings: store.settings,
    fromFile: config.watches,
    logger,
    clock,
  });
  await watchSettings.load();
  // The watch loop resumes from where the store says it stopped.
  const pipeline = new Pipeline({
    config,
    repository: store.pipeline,
    logger,
    metrics,
    clock,
    watches: watchSettings.current().parsed,
    leads,
  });
  pipeline.init();
  const healing = await buildHealing({ config, store, logger, metrics, clock, pipeline, leads });
  // A new leader executes what was approved (and recovers what a dead leader left) at once.
  leadership.onGained(() => void healing.tick());
  const routes = [
    pipelineRoutes(pipeline),
    watchRoutes(pipeline, watchSettings, (change) =>
      healing.audit.append({ at: clock.now(), kind: 'watches_changed', ...change })
    ),
    ...healingRoutes(healing),
  ];
  return { pipeline, healing, leadership, routes };
}
