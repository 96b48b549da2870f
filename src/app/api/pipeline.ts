import {
  anomaliesResponseSchema,
  feedbackResponseSchema,
  modelsResponseSchema,
  retrainResponseSchema,
  targetDetailSchema,
  targetsResponseSchema,
  watchesResponseSchema,
  type AnomaliesQuery,
  type FeedbackKind,
  type RetrainBody,
} from '../../contract/pipeline';
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

/** The targets with their recent score history (the Overview's sparklines). */
export const listTargets = () =>
  backendRequest(pipelinePaths.targets, targetsResponseSchema, { params: { history: 'true' } });

export const getTarget = (id: string) => backendRequest(pipelinePaths.target(id), targetDetailSchema);

export const listAnomalies = (query: Partial<AnomaliesQuery> = {}) =>
  backendRequest(pipelinePaths.anomalies, anomaliesResponseSchema, { params: query });

export const sendFeedback = (anomalyId: number, kind: FeedbackKind, comment?: string) =>
  backendRequest(pipelinePaths.feedback(anomalyId), feedbackResponseSchema, {
    method: 'POST',
    data: { kind, comment: comment || undefined },
  });

export const listModels = () =>
  backendRequest(pipelinePaths.models, modelsResponseSchema, { params: { status: 'active' } });

export const retrain = (body: RetrainBody = {}) =>
  backendRequest(pipelinePaths.retrain, retrainResponseSchema, { method: 'POST', data: body });

export const listWatches = () => backendRequest(pipelinePaths.watches, watchesResponseSchema);
