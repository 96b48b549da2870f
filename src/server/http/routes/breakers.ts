import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBodySchema } from '../../../contract/health';
import { breakerListSchema, breakerSchema, closeBreakerBodySchema, outcomeListSchema } from '../../../contract/healing';
import type { HealingEngine } from '../../healing';
import { requestUser } from './user';

/**
 * Circuit breakers and proof of value (issue 17). Grafana's proxy lets only Editors POST under
 * api/breakers/* (plugin.json), like the approvals.
 */
export function breakerRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/breakers', { schema: { response: { 200: breakerListSchema } } }, async () => ({
      items: await engine.openBreakers(),
    }));

    app.post(
      '/api/breakers/close',
      { schema: { body: closeBreakerBodySchema, response: { 200: breakerSchema, 404: errorBodySchema } } },
      async (request, reply) => {
        const { target, comment } = request.body;
        const closed = await engine.closeBreaker(target, requestUser(request), comment);
        return (
          closed ?? reply.code(404).send({ error: 'not_found', message: `no circuit breaker is open on ${target}` })
        );
      }
    );

    app.get('/api/outcomes', { schema: { response: { 200: outcomeListSchema } } }, async () => ({
      items: await engine.outcomes(),
    }));
  };
}
