import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { alertIntakeResponseSchema, alertmanagerWebhookSchema } from '../../../contract/healing';
import type { HealingEngine } from '../../healing';

/**
 * POST /api/alerts: Alertmanager's webhook receiver and Grafana alerting's webhook contact point
 * call it directly, not through the plugin proxy, with the alert-intake token
 * (`http_config.authorization.credentials_file` / the contact point's Authorization header): the
 * one route that token opens.
 */
export function alertRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/alerts',
      {
        config: { access: 'alerts' },
        bodyLimit: 5 * 1024 * 1024,
        schema: { body: alertmanagerWebhookSchema, response: { 200: alertIntakeResponseSchema } },
      },
      async (request) => engine.onAlerts(request.body)
    );
  };
}
