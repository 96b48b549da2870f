import type { ModelPage } from '../../contract/modelPage';
import type { ModelsQuery } from '../../contract/pipeline';
import { RETRAIN_REQUEST_EXPIRES_AFTER_MS } from '../../contract/retrainRequests';
import { modelPageKey } from './store/modelPage';
import type { PipelineRepository } from './store/repository';
import { readingCursor } from './views';

/**
 * GET /api/models's page from the store; a cursor that is not a page's of this order is refused
 * before the store is asked. The route and the list workers (which hold only a repository) both read
 * through it.
 */
export async function readModelPage(repo: PipelineRepository, q: ModelsQuery): Promise<ModelPage> {
  readingCursor(() => modelPageKey(q));
  const page = await repo.modelPage(q);
  return page.requests === undefined ? page : { ...page, expiresAfterMs: RETRAIN_REQUEST_EXPIRES_AFTER_MS };
}
