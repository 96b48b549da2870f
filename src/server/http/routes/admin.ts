import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import {
  killSwitchSchema,
  namespacePausesSchema,
  kubernetesTestBodySchema,
  kubernetesTestResponseSchema,
  policiesResponseSchema,
  putKillSwitchBodySchema,
  putPoliciesBodySchema,
  safetyLimitsResponseSchema,
} from '../../../contract/healing';
import { namespacePausesWriteSchema, safetyLimitsWriteSchema } from '../../../contract/healing/settingsWrites';
import type { HealingEngine } from '../../healing';
import { optionalBody } from './optionalBody';
import { requestUser } from './user';

/** A request body as Fastify types it once its schema passed (the same conditional as its own, so they match). */
type Checked<Body> = [Body] extends [undefined] ? unknown : Body;

/** Healing settings writes. Grafana's proxy lets only Admins PUT/POST under api/admin/*. */
export function adminRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    /** A settings write: the body and the answer checked by their schemas, and who made it passed on. */
    const write = <Body extends object, Answer>(
      url: string,
      body: z.ZodType<Body>,
      answer: z.ZodType<Answer>,
      apply: (body: Checked<Body>, user: string, request: FastifyRequest) => Answer | Promise<Answer>
    ) =>
      app.put(url, { schema: { body, response: { 200: answer } } }, async (request) =>
        apply(request.body, requestUser(request), request)
      );

    write('/api/admin/kill-switch', putKillSwitchBodySchema, killSwitchSchema, async (body, user, request) => {
      // Awaited: the settings store may answer later (PostgreSQL).
      const value = await engine.settings.setKillSwitch(body.engaged, user, body.reason);
      request.log.warn({ user, engaged: value.engaged }, 'kill switch changed');
      return value;
    });
    write('/api/admin/policies', putPoliciesBodySchema, policiesResponseSchema, (body, user) =>
      engine.settings.setPolicies(body.policies, user)
    );
    write('/api/admin/safety-limits', safetyLimitsWriteSchema, safetyLimitsResponseSchema, (body, user) =>
      engine.settings.setLimits(body, user)
    );
    write('/api/admin/namespace-pauses', namespacePausesWriteSchema, namespacePausesSchema, (body, user) =>
      engine.pauses.set(body.pauses, user)
    );

    app.post(
      '/api/admin/test/kubernetes',
      {
        ...optionalBody,
        schema: { body: kubernetesTestBodySchema, response: { 200: kubernetesTestResponseSchema } },
      },
      async (request) => engine.testKubernetes(request.body?.action)
    );
  };
}
