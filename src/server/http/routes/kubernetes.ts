import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBodySchema, type ErrorBody } from '../../../contract/health';
import {
  KUBE_CA_HEADER,
  KUBE_TOKEN_HEADER,
  kubernetesSettingsSchema,
  putKubernetesBodySchema,
} from '../../../contract/kubernetes';
import type { HealingEngine } from '../../healing';
import { requestUser } from './user';

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Kubernetes access as an Admin sets it in Grafana. The token and CA come only in the headers
 * Grafana's proxy route fills from secureJsonData; the answers never carry them.
 */
export function kubernetesRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/kubernetes', { schema: { response: { 200: kubernetesSettingsSchema } } }, async () =>
      engine.kubernetes.settings()
    );

    app.put(
      '/api/admin/kubernetes',
      { schema: { body: putKubernetesBodySchema, response: { 200: kubernetesSettingsSchema, 400: errorBodySchema } } },
      async (request, reply) => {
        const user = requestUser(request);
        const change = await engine.kubernetes.put(
          request.body,
          { token: header(request.headers[KUBE_TOKEN_HEADER]), ca: header(request.headers[KUBE_CA_HEADER]) },
          user
        );
        if (!change.ok) {
          request.log.warn({ user, field: change.field }, `Kubernetes access refused: ${change.message}`);
          const body: ErrorBody = {
            error: 'bad_request',
            message: `${change.field}: ${change.message}`,
            field: change.field,
          };
          return reply.code(400).send(body);
        }
        return change.settings;
      }
    );

    app.delete('/api/admin/kubernetes', { schema: { response: { 200: kubernetesSettingsSchema } } }, async (request) =>
      engine.kubernetes.reset(requestUser(request))
    );
  };
}
