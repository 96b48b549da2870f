import type { z } from 'zod';
import {
  anomaliesResponseSchema,
  feedbackResponseSchema,
  type modelsQuerySchema,
  retrainResponseSchema,
  type targetsQuerySchema,
  targetsResponseSchema,
  watchesResponseSchema,
  type AnomaliesQuery,
  type FeedbackKind,
  type RetrainBody,
} from '../../contract/pipeline';
import { modelPageSchema } from '../../contract/modelPage';
import { targetDetailSchema } from '../../contract/targetDetail';
import { backendRequest } from './backend';

/** The pipeline's routes, as the plugin proxy forwards them (see plugin.json routes). */
export const pipelinePaths = {
  targets: 'api/targets',
  target: (id: string) => `api/targets/${encodeURIComponent(id)}`,
  anomalies: 'api/anomalies',
  feedback: (anomalyId: number) => `api/anomalies/${anomalyId}/feedback`,
  models: 'api/models',
  retrain: 'api/models/retrain',
  watches: 'api/watches',
};

/** GET /api/targets's query as the Overview builds it (the route reads `limit` from its decimal digits). */
export type TargetListQuery = Partial<Omit<z.input<typeof targetsQuerySchema>, 'limit' | 'history'>> & {
  limit: number;
};

/** A page of targets in the order asked, with their recent score history (the Overview's sparklines). */
export const listTargets = (query: TargetListQuery) =>
  backendRequest(pipelinePaths.targets, targetsResponseSchema, { params: { ...query, history: 'true' } });

export const getTarget = (id: string) => backendRequest(pipelinePaths.target(id), targetDetailSchema);

export const listAnomalies = (query: Partial<AnomaliesQuery> = {}) =>
  backendRequest(pipelinePaths.anomalies, anomaliesResponseSchema, { params: query });

export const sendFeedback = (anomalyId: number, kind: FeedbackKind, comment?: string) =>
  backendRequest(pipelinePaths.feedback(anomalyId), feedbackResponseSchema, {
    method: 'POST',
    data: { kind, comment: comment || undefined },
  });

/** GET /api/models's query as the Models page builds it (the route reads `limit` from its decimal digits). */
export type ModelListQuery = Pick<Partial<z.input<typeof modelsQuerySchema>>, 'q' | 'sort' | 'order' | 'cursor'> & {
  limit: number;
};

/**
 * A page of each target's current model (running, or its target gone: retired), filtered and sorted
 * by the backend over the whole fleet, with the newest retrain request of each target on it.
 */
export const listModels = (query: ModelListQuery) =>
  backendRequest(pipelinePaths.models, modelPageSchema, { params: { ...query, status: 'current', requests: 'true' } });

/** Retrains now; with replicas sharing the watches, what others hold is queued for them (`queued`, HTTP 202). */
export const retrain = (body: RetrainBody = {}) =>
  backendRequest(pipelinePaths.retrain, retrainResponseSchema, { method: 'POST', data: body });

export const listWatches = () => backendRequest(pipelinePaths.watches, watchesResponseSchema);

/** Pages `readPages` reads at most by default: 10 pages of MAX_PAGE_LIMIT rows (10,000 targets, say). */
export const MAX_PAGES = 10;

/**
 * Reads a list the backend pages (keyset pagination: each page's `next` is the cursor of the
 * following one), page after page, until its last page, until `onPage` returns true (the caller has
 * what it needs), or after `maxPages` pages. Resolves true when it stopped for either of the first
 * two reasons, false when pages were left unread.
 */
export async function readPages<P extends { next?: string | null }>(
  read: (cursor: string | undefined) => Promise<P>,
  onPage: (page: P) => boolean | void,
  maxPages = MAX_PAGES
): Promise<boolean> {
  let cursor: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const page = await read(cursor);
    if (onPage(page) === true || !page.next) {
      return true;
    }
    cursor = page.next;
  }
  return false;
}
