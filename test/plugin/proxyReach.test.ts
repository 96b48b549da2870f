import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { servedRoutes, type ServedRoute } from '../../src/server/http/server';
import { AUTH, assembledApp, type AssembledApp } from '../harness/server';
import { proxy, upstreamBase, type ProxyRoute } from './grafanaProxy';

// Every request a Grafana user can make through the app's proxy routes, as Grafana forwards it
// (test/plugin/grafanaProxy.ts), sent to the real backend with the API token Grafana adds: the
// backend route it reaches must lie in the subtree of the proxy route whose reqRole Grafana checked.
// Grafana forwards encoded dot segments as literal ones (`api/actions/..%2Falerts` reaches the
// backend as `/api/actions/../alerts`); the backend's router must not resolve them, or an Editor's
// POST route would reach POST /api/alerts and the Admin-only POST /api/admin/test/kubernetes.

const routes: ProxyRoute[] = JSON.parse(readFileSync(join(__dirname, '..', '..', 'plugin.json'), 'utf8')).routes;

let backend: AssembledApp;
let port: number;
/** The backend route each probe reached (`METHOD url`), by the probe's id; absent: no route. */
const reached = new Map<string, string>();

beforeAll(async () => {
  backend = await assembledApp();
  backend.app.addHook('onRequest', async (req) => {
    const probe = req.headers['x-probe'];
    if (typeof probe === 'string' && req.routeOptions.url !== undefined) {
      reached.set(probe, `${req.method} ${req.routeOptions.url}`);
    }
  });
  await backend.app.listen({ port: 0, host: '127.0.0.1' });
  port = (backend.app.server.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await backend?.close();
});

/** Sends the request line's path as given (node:http does not normalise it) and waits for the answer. */
function send(method: string, path: string, probe: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        // A fresh connection each: the server may close an idle kept-alive one as the next request starts.
        agent: false,
        method,
        path,
        headers: { ...AUTH, 'x-grafana-user': 'probe', 'x-probe': probe, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }
    );
    req.on('error', reject);
    req.end(method === 'GET' || method === 'HEAD' ? undefined : '{}');
  });
}

const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, '1');

/** Paths under a glob route's prefix that climb out of it towards `target` (a backend path). */
function climbs(prefix: string, depth: number, target: string): string[] {
  const rest = target.replace(/^\//, '');
  const escaped = rest.replace(/\//g, '%2F');
  return [
    `${prefix}/${'..%2F'.repeat(depth)}${escaped}`,
    `${prefix}/${'%2e%2e/'.repeat(depth)}${rest}`,
    `${prefix}/${'%2E%2E%2F'.repeat(depth)}${escaped}`,
    `${prefix}/x/${'..%2F'.repeat(depth + 1)}${rest}`,
    `${prefix}/${'.%2E/'.repeat(depth)}${rest}`,
    `${prefix}/${'%252e%252e/'.repeat(depth)}${rest}`,
    `${prefix}/../${rest}`,
  ];
}

describe("the backend routes a Grafana user reaches through the app's proxy routes", () => {
  let served: readonly ServedRoute[];
  beforeAll(() => {
    served = servedRoutes(backend.app).filter((r) => r.method !== 'HEAD');
  });

  it('stay in the subtree of the proxy route whose role Grafana checked, however the path is spelled', async () => {
    const probes: Array<{ method: string; path: string; route: ProxyRoute; upstream: string }> = [];
    for (const route of routes) {
      const globPrefix = route.path.endsWith('/*') ? route.path.slice(0, -2) : undefined;
      const depth = upstreamBase(route).split('/').filter(Boolean).length;
      for (const target of served.filter((s) => s.method === route.method)) {
        const path = concrete(target.url);
        const paths = globPrefix ? [path.slice(1), ...climbs(globPrefix, depth, path)] : [path.slice(1)];
        for (const p of paths) {
          const proxied = proxy(routes, route.method, p);
          if (proxied) {
            probes.push({ method: route.method, path: p, route: proxied.route, upstream: proxied.upstream });
          }
        }
      }
    }
    // The spellings do reach the backend with literal dot segments: the case this test is about.
    expect(probes.filter((p) => /\/\.\.(\/|$)/.test(p.upstream)).length).toBeGreaterThan(50);

    const outside: string[] = [];
    for (const [i, probe] of probes.entries()) {
      await send(probe.method, probe.upstream, String(i));
      const hit = reached.get(String(i));
      const base = upstreamBase(probe.route);
      const url = hit?.slice(hit.indexOf(' ') + 1);
      if (
        hit !== undefined &&
        (!hit.startsWith(`${probe.method} `) || (url !== base && !url!.startsWith(`${base}/`)))
      ) {
        outside.push(`${probe.route.reqRole}: ${probe.method} ${probe.path} -> ${probe.upstream} reached ${hit}`);
      }
    }
    expect(outside).toEqual([]);
    // And the plain paths do reach their routes (the probes are not all dead ends).
    expect([...reached.values()]).toEqual(
      expect.arrayContaining(['POST /api/actions/:id/approve', 'PUT /api/admin/kubernetes', 'GET /api/targets/:id'])
    );
  }, 300_000);
});
