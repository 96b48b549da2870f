import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Who may call a route, declared in its `config.access`:
 * - `public`: anyone (health, readiness, metrics);
 * - `alerts`: the alert-intake token or the API token (alert senders post with the former);
 * - `api` (the default, also for paths that match no route): only the API token, which Grafana's
 *   plugin proxy sends.
 */
export type RouteAccess = 'public' | 'alerts' | 'api';

/** Which token a request was accepted with. */
export type Credential = 'api' | 'alerts';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set by the access hook; null on public routes. */
    credential: Credential | null;
  }
}

export interface Tokens {
  /** The full API: Grafana's plugin proxy (the app's backendToken). */
  api: string;
  /** Only POST /api/alerts: Alertmanager's credentials_file, Grafana's webhook contact point. */
  alerts?: string;
}

/**
 * The onRequest hook that decides on the route Fastify matched, never on the URL text: the router
 * decodes percent-encoding and reads absolute-form request lines, so a string test of the URL sees
 * a different path than the handler that runs. Both tokens are hashed first so each comparison is
 * constant-time whatever the length of what the client sent, and both are always compared.
 */
export function accessHook(tokens: Tokens) {
  const api = digest(tokens.api);
  const alerts = tokens.alerts === undefined ? undefined : digest(tokens.alerts);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config?.access ?? 'api';
    if (access === 'public') {
      return;
    }
    const presented = bearer(request.headers.authorization);
    const credential = presented === undefined ? undefined : identify(digest(presented), api, alerts);
    if (credential === 'api' || (credential === 'alerts' && access === 'alerts')) {
      request.credential = credential;
      return;
    }
    return reply.code(401).header('WWW-Authenticate', 'Bearer realm="failureprophet"').send({
      error: 'unauthorized',
      message: 'a valid bearer token is required (the backendToken of the app settings)',
    });
  };
}

function identify(presented: Buffer, api: Buffer, alerts: Buffer | undefined): Credential | undefined {
  const isApi = timingSafeEqual(presented, api);
  const isAlerts = alerts !== undefined && timingSafeEqual(presented, alerts);
  return isApi ? 'api' : isAlerts ? 'alerts' : undefined;
}

function bearer(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer (.+)$/i.exec(header);
  const token = match?.[1].trim();
  return token ? token : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The Grafana user behind a request, from the header Grafana's plugin proxy adds when
 * `[dataproxy] send_user_header = true`. Trusted only on requests that carry the API token (the
 * proxy's): with the alert token or none, anyone could claim any user.
 */
export function grafanaUser(request: FastifyRequest): string | undefined {
  if (request.credential !== 'api') {
    return undefined;
  }
  const value = request.headers['x-grafana-user'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
