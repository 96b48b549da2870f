import type { Logger } from 'pino';
import { messageOf } from '../../utils/messageOf';
import type { WatchConfig } from '../config/schema';
import type { PipelineRepository } from './store/repository';
import { TargetModel, type TargetSettings } from './targetModel';
import { kubernetesObject } from './targets';

/** What rebuilding a watch's targets from the store takes. */
export interface RestoreDeps {
  watch: WatchConfig;
  repo: PipelineRepository;
  settings: TargetSettings;
  logger: Logger;
}

/**
 * The watch's targets as its last committed checkpoint left them. A state this build cannot read
 * is left out with a warning: that target starts learning again rather than stopping the watch.
 */
export async function storedModels({ watch, repo, settings, logger }: RestoreDeps): Promise<Map<string, TargetModel>> {
  const models = new Map<string, TargetModel>();
  const { targets, unreadable } = await repo.loadCheckpoint(watch.name);
  for (const { id, error } of unreadable) {
    logger.warn({ watch: watch.name, target: id, err: error }, 'stored target state unreadable; relearning it');
  }
  for (const stored of targets) {
    try {
      const labels = stored.labels;
      const model = TargetModel.fromState(
        stored.id,
        watch.name,
        labels,
        kubernetesObject(watch, labels),
        settings,
        stored.state
      );
      models.set(stored.id, model);
    } catch (err) {
      logger.warn(
        { watch: watch.name, target: stored.id, err: messageOf(err) },
        'stored target state unreadable; relearning it'
      );
    }
  }
  return models;
}
