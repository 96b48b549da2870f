import type { z } from 'zod';
import {
  anomaliesResponseSchema,
  feedbackResponseSchema,
  modelsResponseSchema,
  retrainResponseSchema,
  type targetsQuerySchema,
  targetsResponseSchema,
  watchesResponseSchema,
  MAX_PAGE_LIMIT,
  type AnomaliesQuery,
  type FeedbackKind,
  type RetrainBody,
} from '../../contract/pipeline';
import { retrainRequestsResponseSchema, type RetrainRequestsResponse } from '../../contract/retrainRequests';
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
  retrainRequests: 'api/models/retrain-requests',
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

/** Each target's current model, running or its target gone (retired): the Models page lists them all in one table. */
export const listModels = () =>
  backendRequest(pipelinePaths.models, modelsResponseSchema, { params: { status: 'current', limit: MAX_PAGE_LIMIT } });

/** Retrains now; with replicas sharing the watches, what others hold is queued for them (`queued`, HTTP 202). */
export const retrain = (body: RetrainBody = {}) =>
  backendRequest(pipelinePaths.retrain, retrainResponseSchema, { method: 'POST', data: body });

/** A page of each target's newest retraining queued for other replicas: queued, running, done or expired. */
export const listNewestRetrainRequests = (cursor?: string) =>
  backendRequest(pipelinePaths.retrainRequests, retrainRequestsResponseSchema, {
    params: { newest: 'target', limit: MAX_PAGE_LIMIT, cursor },
  });

/**
 * Each target's newest retraining queued for other replicas, every page read (up to `readPages`'
 * MAX_PAGES): the newest of all requests would miss most targets after a "Retrain all" on a fleet.
 */
export async function readNewestRetrainRequests(): Promise<RetrainRequestsResponse> {
  const all: RetrainRequestsResponse = { requests: [], expiresAfterMs: 0 };
  await readPages(listNewestRetrainRequests, (page) => {
    all.requests.push(...page.requests);
    all.expiresAfterMs = page.expiresAfterMs;
  });
  return all;
}

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
