import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Bearer-token check for every /api route. Both sides are hashed first so the comparison is
 * constant-time whatever the length of what the client sent.
 */
export function bearerTokenHook(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      return reply.code(401).header('WWW-Authenticate', 'Bearer realm="failureprophet"').send({
        error: 'unauthorized',
        message: 'a valid bearer token is required (the backendToken of the app settings)',
      });
    }
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The Grafana user behind a request, from the header Grafana's data proxy adds when
 * `[dataproxy] send_user_header = true`. Only meaningful after the bearer token was accepted:
 * without the token anyone could claim any user.
 */
export function grafanaUser(request: FastifyRequest): string | undefined {
  const value = request.headers['x-grafana-user'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
