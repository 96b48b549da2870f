import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  killSwitchSchema,
  namespacePausesSchema,
  kubernetesTestBodySchema,
  kubernetesTestResponseSchema,
  policiesResponseSchema,
  putKillSwitchBodySchema,
  putNamespacePausesBodySchema,
  putPoliciesBodySchema,
  safetyLimitsResponseSchema,
  safetyLimitsSchema,
} from '../../../contract/healing';
import type { HealingEngine } from '../../healing';
import { requestUser } from './user';

/** Healing settings writes. Grafana's proxy lets only Admins PUT/POST under api/admin/*. */
export function adminRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    app.put(
      '/api/admin/kill-switch',
      { schema: { body: putKillSwitchBodySchema, response: { 200: killSwitchSchema } } },
      async (request) => {
        const user = requestUser(request);
        const value = await engine.settings.setKillSwitch(request.body.engaged, user, request.body.reason);
        request.log.warn({ user, engaged: value.engaged }, 'kill switch changed');
        return value;
      }
    );

    app.put(
      '/api/admin/policies',
      { schema: { body: putPoliciesBodySchema, response: { 200: policiesResponseSchema } } },
      async (request) => engine.settings.setPolicies(request.body.policies, requestUser(request))
    );

    app.put(
      '/api/admin/safety-limits',
      { schema: { body: safetyLimitsSchema, response: { 200: safetyLimitsResponseSchema } } },
      async (request) => engine.settings.setLimits(request.body, requestUser(request))
    );

    app.put(
      '/api/admin/namespace-pauses',
      { schema: { body: putNamespacePausesBodySchema, response: { 200: namespacePausesSchema } } },
      async (request) => engine.pauses.set(request.body.pauses, requestUser(request))
    );

    app.post(
      '/api/admin/test/kubernetes',
      { schema: { body: kubernetesTestBodySchema, response: { 200: kubernetesTestResponseSchema } } },
      async (request) => engine.testKubernetes(request.body?.action)
    );
  };
}
