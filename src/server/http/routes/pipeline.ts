import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBodySchema } from '../../../contract/health';
import { modelPageSchema } from '../../../contract/modelPage';
import {
  anomaliesQuerySchema,
  anomaliesResponseSchema,
  feedbackBodySchema,
  feedbackResponseSchema,
  modelsQuerySchema,
  predictionsQuerySchema,
  predictionsResponseSchema,
  predictQuerySchema,
  predictResponseSchema,
  retrainBodySchema,
  retrainResponseSchema,
  targetsQuerySchema,
  targetsResponseSchema,
  watchesResponseSchema,
} from '../../../contract/pipeline';
import {
  RETRAIN_REQUEST_EXPIRES_AFTER_MS,
  retrainRequestsQuerySchema,
  retrainRequestsResponseSchema,
} from '../../../contract/retrainRequests';
import { targetDetailSchema } from '../../../contract/targetDetail';
import { wholeNumberParamSchema } from '../../../contract/vocabulary';
import { readModelPage } from '../../pipeline/modelList';
import { RetrainStoppedError } from '../../pipeline/retrainDeadline';
import { PipelineError, type Pipeline } from '../../pipeline/pipeline';
import { noAnomaly } from '../../pipeline/views';
import { retrainRefusal, RetiredTargetError } from '../../pipeline/trainingRequests';
import { grafanaUser } from '../auth';
import { notKeptBody } from './notKept';

/** An anomaly's id in a path (`/api/anomalies/7`), in decimal digits only: `1e2` or `0x1` is no id. */
const anomalyIdParams = z.object({ id: wholeNumberParamSchema(z.number().int().positive()) });
const targetIdParams = z.object({ id: z.string().min(1) });

function refused(reply: FastifyReply, err: unknown) {
  if (err instanceof PipelineError) {
    return reply.code(err.kind === 'not_found' ? 404 : 400).send({ error: err.kind, message: err.message });
  }
  throw err;
}

/**
 * The detection pipeline's API. Grafana's proxy lets Viewers GET under api/* and Editors POST
 * under api/anomalies/* and api/models/*. `detectionRetentionDays` (FP_DETECTION_RETENTION_DAYS,
 * 0 keeps everything) is said in the 404 of an anomaly it may have pruned.
 */
export function pipelineRoutes(pipeline: Pipeline, detectionRetentionDays = 0): FastifyPluginAsyncZod {
  const anomalyRetention = { records: 'closed anomalies', days: detectionRetentionDays };
  return async (app) => {
    app.get(
      '/api/targets',
      { schema: { querystring: targetsQuerySchema, response: { 200: targetsResponseSchema, 400: errorBodySchema } } },
      async (request, reply) => {
        try {
          return await pipeline.listTargets(request.query);
        } catch (err) {
          return refused(reply, err);
        }
      }
    );

    app.get(
      '/api/targets/:id',
      { schema: { params: targetIdParams, response: { 200: targetDetailSchema, 404: errorBodySchema } } },
      async (request, reply) =>
        (await pipeline.target(request.params.id)) ??
        reply.code(404).send({ error: 'not_found', message: `no target "${request.params.id}"` })
    );

    app.get(
      '/api/anomalies',
      {
        schema: { querystring: anomaliesQuerySchema, response: { 200: anomaliesResponseSchema, 400: errorBodySchema } },
      },
      async (request, reply) => {
        try {
          return await pipeline.anomalyPage(request.query);
        } catch (err) {
          return refused(reply, err);
        }
      }
    );

    app.get(
      '/api/anomalies/:id',
      { schema: { params: anomalyIdParams, response: { 200: feedbackResponseSchema, 404: errorBodySchema } } },
      async (request, reply) => {
        const { id } = request.params;
        const anomaly = await pipeline.repo.anomaly(id);
        return anomaly ? { anomaly } : reply.code(404).send(notKeptBody(noAnomaly(id), anomalyRetention));
      }
    );

    app.post(
      '/api/anomalies/:id/feedback',
      {
        schema: {
          params: anomalyIdParams,
          body: feedbackBodySchema,
          response: { 200: feedbackResponseSchema, 404: errorBodySchema },
        },
      },
      async (request, reply) => {
        try {
          return {
            anomaly: await pipeline.recordFeedback(
              request.params.id,
              request.body.kind,
              'operator',
              grafanaUser(request),
              request.body.comment
            ),
          };
        } catch (err) {
          // Not there when the feedback came: the answer of reading it. One pruned while the feedback
          // was written keeps its own message, which says so.
          if (err instanceof PipelineError && err.message === noAnomaly(request.params.id)) {
            return reply.code(404).send(notKeptBody(err.message, anomalyRetention));
          }
          return refused(reply, err);
        }
      }
    );

    app.get(
      '/api/predictions',
      { schema: { querystring: predictionsQuerySchema, response: { 200: predictionsResponseSchema } } },
      async (request) => ({
        predictions: await pipeline.predictions(request.query),
      })
    );

    app.get(
      '/api/models',
      { schema: { querystring: modelsQuerySchema, response: { 200: modelPageSchema, 400: errorBodySchema } } },
      async (request, reply) => {
        try {
          return await readModelPage(pipeline.repo, request.query);
        } catch (err) {
          return refused(reply, err);
        }
      }
    );

    app.post(
      '/api/models/retrain',
      {
        schema: {
          body: retrainBodySchema.optional(),
          response: {
            200: retrainResponseSchema,
            202: retrainResponseSchema,
            404: errorBodySchema,
            409: errorBodySchema,
            503: errorBodySchema,
          },
        },
      },
      async (request, reply) => {
        const body = request.body ?? {};
        try {
          const result = await (pipeline.sharedRetraining?.request(body) ?? pipeline.retrain(body, 'on_demand'));
          // Accepted: part of it runs on other replicas at their next cycle.
          return reply.code(result.queued ? 202 : 200).send(result);
        } catch (err) {
          const refusal = await retrainRefusal(pipeline.repo, body, err);
          if (refusal instanceof RetrainStoppedError) {
            // Nothing failed: asked again (of another replica, or of this one once back), it runs.
            return reply.code(503).header('Retry-After', '30').send({ error: 'stopping', message: refusal.message });
          }
          if (refusal instanceof RetiredTargetError) {
            return reply.code(409).send({ error: 'retired', message: refusal.message });
          }
          return refused(reply, refusal);
        }
      }
    );

    // What became of "Retrain now" queued for other replicas (202): queued, running, done or expired.
    app.get(
      '/api/models/retrain-requests',
      {
        schema: {
          querystring: retrainRequestsQuerySchema,
          response: { 200: retrainRequestsResponseSchema, 400: errorBodySchema },
        },
      },
      async (request) => {
        const { newest, cursor, target, limit } = request.query;
        const page =
          newest === 'target'
            ? await pipeline.repo.newestRetrainRequests({ after: cursor, limit })
            : { requests: await pipeline.repo.retrainRequestList({ target, limit }) };
        return { ...page, expiresAfterMs: RETRAIN_REQUEST_EXPIRES_AFTER_MS };
      }
    );

    app.get('/api/watches', { schema: { response: { 200: watchesResponseSchema } } }, async () => ({
      watches: pipeline.watches(),
    }));

    app.get(
      '/predict',
      { schema: { querystring: predictQuerySchema, response: { 200: predictResponseSchema, 404: errorBodySchema } } },
      async (request, reply) =>
        pipeline.predict(request.query.target) ??
        reply.code(404).send({ error: 'not_found', message: `no target "${request.query.target}"` })
    );
  };
}
