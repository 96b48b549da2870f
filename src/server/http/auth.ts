import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Who may call a route, declared in its `config.access`:
 * - `public`: anyone (health, readiness, metrics unless protected); an API token sent along is still
 *   recognised, so a public route may tell its holder more (/readyz names the degraded watches);
 * - `scrape`: /metrics when `metrics.requireAuth` is set: the API token or the scrape credentials;
 * - `alerts`: the alert-intake token or the API token (alert senders post with the former);
 * - `api` (the default, also for paths that match no route): only the API token, which Grafana's
 *   plugin proxy sends.
 */
export type RouteAccess = 'public' | 'scrape' | 'alerts' | 'api';

/** Which credential a request was accepted with. */
export type Credential = 'api' | 'alerts' | 'scrape';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set by the access hook; null on a public route called without the API token. */
    credential: Credential | null;
  }
}

/** A user and password as HTTP basic auth sends them (RFC 7617). */
export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * Who may read /metrics (config `metrics`): with `requireAuth` false, anyone, as Prometheus scrapes by default;
 * with it, the API token or `basicAuth`, as a scrape_config's `authorization` or `basic_auth` sends them.
 */
export interface MetricsAccess {
  requireAuth: boolean;
  basicAuth?: BasicCredentials;
}

export interface Tokens {
  /** The full API: Grafana's plugin proxy (the app's backendToken). */
  api: string;
  /** Only POST /api/alerts: Alertmanager's credentials_file, Grafana's webhook contact point. */
  alerts?: string;
  /** Only the `scrape` routes: a Prometheus scrape_config's basic_auth (absent: the API token alone). */
  scrape?: BasicCredentials;
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
  const scrape = tokens.scrape && {
    username: digest(tokens.scrape.username),
    password: digest(tokens.scrape.password),
  };
  const bearerChallenge = 'Bearer realm="failureprophet"';
  const scrapeChallenges = scrape
    ? [bearerChallenge, 'Basic realm="failureprophet", charset="UTF-8"']
    : bearerChallenge;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config?.access ?? 'api';
    const presented = bearer(request.headers.authorization);
    const credential = presented === undefined ? undefined : identify(digest(presented), api, alerts);
    if (credential === 'api') {
      // On a public route too, where it makes the answer say more (/readyz): the token means the same everywhere.
      request.credential = credential;
      return refuseUnrecordableUser(request, reply);
    }
    if (access === 'public') {
      return;
    }
    if (credential === 'alerts' && access === 'alerts') {
      request.credential = credential;
      return;
    }
    if (access === 'scrape' && scrape && isScrape(basic(request.headers.authorization), scrape)) {
      request.credential = 'scrape';
      return;
    }
    return reply
      .code(401)
      .header('WWW-Authenticate', access === 'scrape' ? scrapeChallenges : bearerChallenge)
      .send({
        error: 'unauthorized',
        message:
          access === 'scrape' && scrape
            ? 'a valid bearer token (the backendToken of the app settings) or the basic-auth credentials of metrics.basicAuth are required'
            : 'a valid bearer token is required (the backendToken of the app settings)',
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

/** The user and password of a `Basic` Authorization header; the user is what comes before the first colon. */
function basic(header: string | undefined): BasicCredentials | undefined {
  const match = header === undefined ? null : /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
  if (!match) {
    return undefined;
  }
  const pair = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  return colon < 0 ? undefined : { username: pair.slice(0, colon), password: pair.slice(colon + 1) };
}

/** Both halves compared, each in constant time, whichever is wrong. */
function isScrape(sent: BasicCredentials | undefined, scrape: { username: Buffer; password: Buffer }): boolean {
  if (sent === undefined) {
    return false;
  }
  const user = timingSafeEqual(digest(sent.username), scrape.username);
  const password = timingSafeEqual(digest(sent.password), scrape.password);
  return user && password;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const USER_HEADER = 'x-grafana-user';

/**
 * Characters that would disguise a login where it is shown (approvals, the audit log): C0 and C1 controls,
 * and the bidirectional controls (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates, the marks
 * U+200E, U+200F, U+061C): after U+202E the rest of a name is shown right to left, so one login reads as another.
 */
const DISGUISING = /[\p{Cc}\p{Bidi_Control}]/u;

/**
 * A request whose Grafana user cannot be recorded as it is sent is refused, before anything is done:
 * - two copies: Node joins them into one value ("ada, bob"), a user nobody is. Grafana's proxy deletes any
 *   copy the browser sent and sets one, so only a caller that holds the token itself sends two;
 * - a control or bidirectional character (DISGUISING), which would show the recorded name as another.
 */
async function refuseUnrecordableUser(request: FastifyRequest, reply: FastifyReply) {
  const copies = request.raw.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === USER_HEADER).length;
  const value = request.headers[USER_HEADER];
  const disguising = typeof value === 'string' ? DISGUISING.exec(sentText(value))?.[0] : undefined;
  const problem =
    copies > 1
      ? `sent ${copies} times; a request names one Grafana user`
      : disguising !== undefined
        ? `holds ${codePoint(disguising)}, a control or bidirectional character that could make the recorded user read as another; a Grafana login with it cannot be recorded`
        : undefined;
  if (problem !== undefined) {
    return reply.code(400).send({
      error: 'bad_request',
      message: `headers.${USER_HEADER}: ${problem}`,
      field: `headers.${USER_HEADER}`,
    });
  }
}

const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

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
