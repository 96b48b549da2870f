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
      return credential === 'api' ? refuseTwoUsers(request, reply) : undefined;
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

const USER_HEADER = 'x-grafana-user';

/**
 * A request naming two Grafana users is refused: Node joins the copies of a header into one value
 * ("ada, bob"), which would be recorded as a user nobody is. Grafana's proxy deletes any copy the browser
 * sent and sets one, so only a caller that holds the token itself sends two.
 */
async function refuseTwoUsers(request: FastifyRequest, reply: FastifyReply) {
  const copies = request.raw.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === USER_HEADER).length;
  if (copies > 1) {
    return reply.code(400).send({
      error: 'bad_request',
      message: `headers.${USER_HEADER}: sent ${copies} times; a request names one Grafana user`,
      field: `headers.${USER_HEADER}`,
    });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header's text as its sender wrote it: Node reads header bytes as Latin-1, and Grafana (Go) sends a
 * login's UTF-8 bytes as they are, so "José" arrives as "JosÃ©". Bytes that are not UTF-8 stay Latin-1;
 * a value with characters beyond Latin-1 did not come off the wire (an in-process request) and is text already.
 */
function sentText(value: string): string {
  if (/[\u0100-\uffff]/.test(value)) {
    return value;
  }
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
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
  const value = request.headers[USER_HEADER];
  return typeof value === 'string' && value.length > 0 ? sentText(value) : undefined;
}
