import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { alertIntakeResponseSchema, alertmanagerWebhookSchema } from '../../../contract/healing';
import type { HealingEngine } from '../../healing';

/**
 * POST /api/alerts: Alertmanager's webhook receiver and Grafana alerting's webhook contact point
 * call it directly, with the bearer token (`http_config.authorization` / the contact point's
 * Authorization header), not through the plugin proxy.
 */
export function alertRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/alerts',
      {
        bodyLimit: 5 * 1024 * 1024,
        schema: { body: alertmanagerWebhookSchema, response: { 200: alertIntakeResponseSchema } },
      },
      async (request) => engine.onAlerts(request.body)
    );
  };
}
