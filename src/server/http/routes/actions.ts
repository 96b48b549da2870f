import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBodySchema } from '../../../contract/health';
import {
  actionIdParamsSchema,
  actionListQuerySchema,
  actionListSchema,
  actionSchema,
  decisionBodySchema,
} from '../../../contract/healing';
import type { HealingEngine } from '../../healing';
import { notKeptBody } from './notKept';
import { optionalBody } from './optionalBody';
import { requestUser } from './user';

const STATUS = { conflict: 409, expired: 409 } as const;

/** The pending list and the approval gate. Grafana's proxy lets only Editors POST under api/actions/*. */
export function actionRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  const retention = { records: 'finished actions', days: engine.retentionDays };
  return async (app) => {
    app.get(
      '/api/actions',
      { schema: { querystring: actionListQuerySchema, response: { 200: actionListSchema } } },
      async (request) => engine.actions.list(request.query)
    );

    app.get(
      '/api/actions/:id',
      { schema: { params: actionIdParamsSchema, response: { 200: actionSchema, 404: errorBodySchema } } },
      async (request, reply) => {
        const { id } = request.params;
        return (
          (await engine.actions.get(id)) ?? reply.code(404).send(notKeptBody(`there is no action ${id}`, retention))
        );
      }
    );

    for (const decision of ['approve', 'reject'] as const) {
      app.post(
        `/api/actions/:id/${decision}`,
        {
          ...optionalBody,
          schema: {
            params: actionIdParamsSchema,
            body: decisionBodySchema.optional(),
            response: { 200: actionSchema, 404: errorBodySchema, 409: errorBodySchema },
          },
        },
        async (request, reply) => {
          const user = requestUser(request);
          const comment = request.body?.comment;
          const outcome =
            decision === 'approve'
              ? await engine.approve(request.params.id, user, comment)
              : await engine.reject(request.params.id, user, comment);
          if (!outcome.ok) {
            if (outcome.kind === 'not-found') {
              // Decided on a page or a link opened before the action was pruned: the answer of reading it.
              return reply.code(404).send(notKeptBody(outcome.message, retention));
            }
            return reply
              .code(STATUS[outcome.kind])
              .send({ error: outcome.kind.replace('-', '_'), message: outcome.message });
          }
          return outcome.action;
        }
      );
    }
  };
}
