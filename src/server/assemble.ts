import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from './clock';
import type { Config } from './config/schema';
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
  /** Every authenticated route, for buildServer. */
  routes: FastifyPluginAsyncZod[];
}

/**
 * The loops and their routes, wired the one way both main and the tests that run the whole
 * backend use: watch settings (saved ones win over the file) → pipeline → healing → routes.
 * Nothing is started. Throws KubernetesConfigError when the configured Kubernetes cannot be set up.
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
  });
  pipeline.init();
  const healing = await buildHealing({ config, store, logger, metrics, clock, pipeline });
  const routes = [
    pipelineRoutes(pipeline),
    watchRoutes(pipeline, watchSettings, (change) =>
      healing.audit.append({ at: clock.now(), kind: 'watches_changed', ...change })
    ),
    ...healingRoutes(healing),
  ];
  return { pipeline, healing, routes };
}
