import {
  anomaliesResponseSchema,
  feedbackResponseSchema,
  modelsResponseSchema,
  retrainResponseSchema,
  targetsResponseSchema,
  watchesResponseSchema,
  MAX_PAGE_LIMIT,
  type AnomaliesQuery,
  type FeedbackKind,
  type RetrainBody,
} from '../../contract/pipeline';
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

/** The targets with their recent score history (the Overview's sparklines); the Overview pages through them itself. */
export const listTargets = () =>
  backendRequest(pipelinePaths.targets, targetsResponseSchema, { params: { history: 'true', limit: MAX_PAGE_LIMIT } });

export const getTarget = (id: string) => backendRequest(pipelinePaths.target(id), targetDetailSchema);

export const listAnomalies = (query: Partial<AnomaliesQuery> = {}) =>
  backendRequest(pipelinePaths.anomalies, anomaliesResponseSchema, { params: query });

export const sendFeedback = (anomalyId: number, kind: FeedbackKind, comment?: string) =>
  backendRequest(pipelinePaths.feedback(anomalyId), feedbackResponseSchema, {
    method: 'POST',
    data: { kind, comment: comment || undefined },
  });

/** The active models: the Models page lists them all in one table. */
export const listModels = () =>
  backendRequest(pipelinePaths.models, modelsResponseSchema, { params: { status: 'active', limit: MAX_PAGE_LIMIT } });

export const retrain = (body: RetrainBody = {}) =>
  backendRequest(pipelinePaths.retrain, retrainResponseSchema, { method: 'POST', data: body });

export const listWatches = () => backendRequest(pipelinePaths.watches, watchesResponseSchema);
