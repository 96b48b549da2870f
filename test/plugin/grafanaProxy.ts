import { posix } from 'node:path';

// Grafana's app-plugin proxy (/api/plugin-proxy/<id>/<path>) as its source does it, checked with
// the search tool in grafana/grafana:
// - pkg/api/plugin_proxy.go, getProxyPath: the request's *escaped* path after the plugin prefix,
//   cleaned with path.Join("/", ...): literal `.` and `..` segments are resolved, encoded ones
//   (`%2e%2e`, `..%2F`) are not.
// - pkg/api/pluginproxy/pluginproxy.go, HandleRequest: the first route whose method equals the
//   request's (or is "*") and whose path the router tree matches wins; if the user lacks its
//   reqRole the answer is 403, no later route is tried; no route: 404. The part a trailing `*`
//   matched (params["*"]) is what is forwarded, nothing else of the request path.
// - pkg/web/tree.go (Macaron's tree): a static segment is compared with the request segment
//   *percent-decoded* (url.PathUnescape; a malformed escape matches nothing); `*` matches the rest
//   of the path, any number of segments, and hands it on decoded.
// - director: the upstream path is util.JoinURLFragments(route URL's path, that rest), not cleaned;
//   Go's client writes it with URL.EscapedPath, which escapes `%`, `?`, `#` and the like but
//   leaves `/` and `.` as they are.

export interface ProxyRoute {
  path: string;
  method: string;
  reqRole: string;
  url: string;
  headers: Array<{ name: string; content: string }>;
}

export interface Proxied {
  route: ProxyRoute;
  /** The request line's path the backend receives. */
  upstream: string;
}

/** Go's path.Clean of "/" + p: no `.` or `..` segments, no empty ones, no trailing slash. */
function goClean(p: string): string {
  const cleaned = posix.normalize(`/${p}`);
  return cleaned.length > 1 ? cleaned.replace(/\/+$/, '') : cleaned;
}

/** Go's url.PathUnescape on a path kept as one character per byte; undefined where Go errs. */
function pathUnescape(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) {
    return undefined;
  }
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Go's URL.EscapedPath of a Path set by hand (encodePath: only unreserved and $&+,/:;=@ stay). */
function goEscapePath(p: string): string {
  return p.replace(
    /[^A-Za-z0-9\-_.~$&+,/:;=@]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
  );
}

function joinUrlFragments(a: string, b: string): string {
  if (b === '') {
    return a;
  }
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  return aSlash && bSlash ? a + b.slice(1) : !aSlash && !bSlash ? `${a}/${b}` : a + b;
}

/** What the tree's matching gives for a route pattern: undefined (no match) or the rest `*` took. */
function matchPattern(pattern: string, proxyPath: string): { rest?: string } | undefined {
  const wanted = pattern.replace(/\/+$/, '').split('/');
  const glob = wanted[wanted.length - 1] === '*';
  const statics = glob ? wanted.slice(0, -1) : wanted;
  if (statics.some((s) => s.includes(':') || s.includes('*'))) {
    throw new Error(`route path ${pattern}: only static segments and a trailing * are modelled`);
  }
  const url = proxyPath.replace(/^\//, '').replace(/\/$/, '');
  const given = url.split('/');
  if (glob ? given.length <= statics.length : given.length !== statics.length) {
    return undefined;
  }
  for (let i = 0; i < statics.length; i++) {
    if (pathUnescape(given[i]) !== statics[i]) {
      return undefined;
    }
  }
  if (!glob) {
    return {};
  }
  const rest = pathUnescape(given.slice(statics.length).join('/'));
  return rest === undefined ? undefined : { rest };
}

/** The path of the backend a route forwards to, e.g. `/api/actions`. */
export const upstreamBase = (route: ProxyRoute) =>
  new URL(route.url.replace('{{ .JsonData.backendUrl }}', 'http://backend')).pathname;

/**
 * The route Grafana picks for `method` and `requestPath` (the escaped path after
 * /api/plugin-proxy/<id>/, as the browser sends it) and the path it forwards; undefined: 404.
 */
export function proxy(routes: ProxyRoute[], method: string, requestPath: string): Proxied | undefined {
  const proxyPath = goClean(requestPath);
  for (const route of routes) {
    if (route.method !== '' && route.method !== '*' && route.method !== method) {
      continue;
    }
    const match = matchPattern(route.path, proxyPath);
    if (match) {
      return { route, upstream: goEscapePath(joinUrlFragments(upstreamBase(route), match.rest ?? '')) };
    }
  }
  return undefined;
}
