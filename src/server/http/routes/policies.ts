import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  killSwitchSchema,
  namespacePausesSchema,
  policiesResponseSchema,
  safetyLimitsResponseSchema,
} from '../../../contract/healing';
import type { HealingEngine } from '../../healing';

/** Reads of the healing settings (Viewer through the proxy); the writes are in admin.ts. */
export function policyRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/policies', { schema: { response: { 200: policiesResponseSchema } } }, async () =>
      engine.settings.policies()
    );
    app.get('/api/safety-limits', { schema: { response: { 200: safetyLimitsResponseSchema } } }, async () =>
      engine.settings.limits()
    );
    app.get('/api/namespace-pauses', { schema: { response: { 200: namespacePausesSchema } } }, async () =>
      engine.pauses.list()
    );
    app.get('/api/kill-switch', { schema: { response: { 200: killSwitchSchema } } }, async () =>
      engine.settings.killSwitch()
    );
  };
}
