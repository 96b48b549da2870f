import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export type OrgRole = 'Viewer' | 'Editor' | 'Admin';

interface ProxyRoute {
  path: string;
  method: string;
  reqRole: OrgRole;
  url: string;
  headers?: Array<{ name: string; content: string }>;
}

interface Manifest {
  id: string;
  routes: ProxyRoute[];
}

export interface PluginSettings {
  enabled: boolean;
  pinned: boolean;
  jsonData: Record<string, unknown>;
  /** What an admin saved; never sent back to the browser, as in Grafana. */
  secureJsonData: Record<string, string>;
}

export interface DataSourceStub {
  uid: string;
  name: string;
  type: string;
}

export interface GrafanaStubOptions {
  /** Directory with bundle.js (and bundle.css) from bundlePage. */
  bundleDir: string;
  settings: PluginSettings;
  role?: OrgRole;
  login?: string;
  theme?: 'light' | 'dark';
  /** The signed-in user's time zone preference (Grafana's bootData user.timezone); unset: the browser's. */
  timeZone?: string;
  dataSources?: DataSourceStub[];
}

export interface GrafanaStub {
  url: string;
  /** What the page saved through POST /api/plugins/<id>/settings (secrets included, for assertions). */
  settings: PluginSettings;
  /** Requests the proxy forwarded, as "METHOD path status". */
  proxied: string[];
  /** Changes the signed-in user's role for the next page load. */
  setRole(role: OrgRole): void;
  close(): Promise<void>;
}

const ROLE_RANK: Record<OrgRole, number> = { Viewer: 1, Editor: 2, Admin: 3 };

/**
 * The parts of Grafana's HTTP server the app needs, behaving as Grafana does: the plugin proxy
 * (routes from plugin.json, first match wins, reqRole checked, Authorization templated from the
 * settings' secureJsonData, X-Grafana-User added as with `send_user_header`), the plugin settings
 * API (secrets kept server side, `secureJsonFields` reported), and a page that loads the bundle.
 */
export async function startGrafanaStub(options: GrafanaStubOptions): Promise<GrafanaStub> {
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../../plugin.json'), 'utf8')) as Manifest;
  const state = { role: options.role ?? 'Admin', settings: options.settings };
  const proxied: string[] = [];
  const proxyPrefix = `/api/plugin-proxy/${manifest.id}/`;
  const settingsPath = `/api/plugins/${manifest.id}/settings`;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => send(res, 500, { message: err.message }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://stub');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith(proxyPrefix)) {
      return proxy(req, res, method, url.pathname.slice(proxyPrefix.length), url.search);
    }
    if (url.pathname === settingsPath) {
      if (method === 'GET') {
        return send(res, 200, publicSettings(state.settings));
      }
      if (method === 'POST') {
        if (state.role !== 'Admin') {
          return send(res, 403, { message: 'Permission denied' });
        }
        const body = JSON.parse(await readBody(req)) as Partial<PluginSettings>;
        state.settings = {
          enabled: body.enabled ?? state.settings.enabled,
          pinned: body.pinned ?? state.settings.pinned,
          jsonData: body.jsonData ?? state.settings.jsonData,
          secureJsonData: { ...state.settings.secureJsonData, ...(body.secureJsonData ?? {}) },
        };
        return send(res, 200, { message: 'Plugin settings updated' });
      }
    }
    const health = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(url.pathname);
    if (health) {
      const known = (options.dataSources ?? []).some((ds) => ds.uid === health[1]);
      return known
        ? send(res, 200, { status: 'OK', message: 'Successfully queried the Prometheus API.' })
        : send(res, 404, { message: 'Data source not found' });
    }
    if (url.pathname === '/api/datasources') {
      return send(res, 200, options.dataSources ?? []);
    }
    if (url.pathname === '/bundle.js' || url.pathname === '/bundle.css') {
      const type = url.pathname.endsWith('.js') ? 'text/javascript' : 'text/css';
      res.writeHead(200, { 'Content-Type': type });
      return res.end(readFileSync(join(options.bundleDir, url.pathname.slice(1))));
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(page());
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, method: string, path: string, search: string) {
    const route = manifest.routes.find(
      (r) =>
        (r.method === '*' || r.method === method) &&
        (r.path.endsWith('/*') ? path.startsWith(r.path.slice(0, -1)) : path === r.path)
    );
    if (!route) {
      proxied.push(`${method} ${path} 404`);
      return send(res, 404, { message: 'Plugin route not found' });
    }
    if (ROLE_RANK[state.role] < ROLE_RANK[route.reqRole]) {
      proxied.push(`${method} ${path} 403`);
      return send(res, 403, { message: 'plugin proxy route access denied' });
    }
    const prefix = route.path.endsWith('/*') ? route.path.slice(0, -2) : route.path;
    const target = template(route.url) + path.slice(prefix.length) + search;
    const headers: Record<string, string> = { 'X-Grafana-User': options.login ?? 'admin' };
    for (const h of route.headers ?? []) {
      headers[h.name] = template(h.content);
    }
    const body = method === 'GET' || method === 'DELETE' ? undefined : await readBody(req);
    if (body !== undefined) {
      headers['Content-Type'] = req.headers['content-type'] ?? 'application/json';
    }
    let upstream: Response;
    try {
      upstream = await fetch(target, { method, headers, body });
    } catch (err) {
      proxied.push(`${method} ${path} 502`);
      return send(res, 502, { message: `dial ${target}: ${(err as Error).message}` });
    }
    proxied.push(`${method} ${path} ${upstream.status}`);
    res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  }

  // Grafana's proxy renders route templates with Go's text/template plus an `orEmpty` function
  // (pkg/api/pluginproxy); `| orEmpty` only turns a missing value into "", as this stub always does.
  function template(text: string): string {
    return text
      .replace(/\{\{ \.JsonData\.(\w+)(?: \| orEmpty)? \}\}/g, (_m, key: string) =>
        String(state.settings.jsonData[key] ?? '')
      )
      .replace(
        /\{\{ \.SecureJsonData\.(\w+)(?: \| orEmpty)? \}\}/g,
        (_m, key: string) => state.settings.secureJsonData[key] ?? ''
      );
  }

  function page(): string {
    const bootData = {
      settings: { appSubUrl: '', buildInfo: { env: 'production', version: '12.4.0' }, datasources: {} },
      user: {
        login: options.login ?? 'admin',
        orgRole: state.role,
        theme: options.theme ?? 'dark',
        timezone: options.timeZone ?? '',
        isSignedIn: true,
      },
      navTree: [],
      assets: { dark: '', light: '' },
    };
    const harness = {
      pluginId: manifest.id,
      settings: publicSettings(state.settings),
      dataSources: options.dataSources ?? [],
    };
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>Failure Prophet browser test</title>
<link rel="stylesheet" href="/bundle.css" />
<script>window.grafanaBootData = ${JSON.stringify(bootData)}; window.__harness = ${JSON.stringify(harness)};</script>
</head>
<body><div id="root"></div><script src="/bundle.js"></script></body>
</html>`;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get settings() {
      return state.settings;
    },
    proxied,
    setRole: (role) => {
      state.role = role;
    },
    close: () => closeServer(server),
  };
}

function publicSettings(settings: PluginSettings) {
  return {
    enabled: settings.enabled,
    pinned: settings.pinned,
    jsonData: settings.jsonData,
    secureJsonFields: Object.fromEntries(Object.keys(settings.secureJsonData).map((k) => [k, true])),
  };
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
