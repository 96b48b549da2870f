import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema';
import type { Clock } from '../clock';
import type { KubeClient } from '../kubernetes';
import type { Pipeline } from '../pipeline/pipeline';
import type { Store } from '../store/store';
import { HealingEngine } from './engine';
import { actionLink, pendingLink } from './approvals';
import { anomalyListener, pipelineHooks } from './fromPipeline';
import { createNotifier } from './notify';
import { SilenceSource } from './silences';
import type { Election } from './context';

/**
 * The healing engine as main wires it: Kubernetes from config (unless an Admin saved access in
 * Grafana, which the engine then uses and logs), notifications, and the pipeline's anomalies and scores.
 */
export async function buildHealing(deps: {
  config: Config;
  store: Pick<Store, 'settings' | 'healing'>;
  logger: Logger;
  metrics: Registry;
  clock: Clock;
  pipeline?: Pipeline;
  /** Whether this replica leads (coordination/leadership.ts): only the leader executes actions. */
  leads?: () => boolean;
  /** The leader election as the claim fence sees it; absent without one (see HealingEngineDeps). */
  election?: Election;
  /** The backend's one client for the configured Kubernetes (assembly shares it with the Leases); none without. */
  kube: KubeClient | undefined;
}): Promise<HealingEngine> {
  const { config, pipeline, clock, kube } = deps;
  const logger = deps.logger.child({ part: 'healing' });
  const { url, token } = config.grafana;
  const engine = await HealingEngine.open({
    store: deps.store,
    kube,
    kubeConfig: config.kubernetes,
    clock,
    logger,
    metrics: deps.metrics,
    policies: config.healing.policies,
    limits: config.healing.limits,
    retentionDays: config.healing.retentionDays,
    notifier: createNotifier({
      grafana: url && token ? { url, token } : undefined,
      webhookUrl: config.healing.notify.webhookUrl,
      clock,
    }),
    // With Grafana's URL, actions awaiting approval are announced with a link to them.
    actionLink: url ? (id) => actionLink(url, id) : undefined,
    pendingLink: url ? pendingLink(url) : undefined,
    silences: config.alertmanager.url
      ? new SilenceSource({
          url: config.alertmanager.url,
          timeoutMs: config.alertmanager.timeout,
          clock,
        })
      : undefined,
    ...(pipeline ? pipelineHooks(pipeline) : {}),
    leads: deps.leads,
    election: deps.election,
  });
  pipeline?.addListener(anomalyListener(engine, logger));
  return engine;
}
