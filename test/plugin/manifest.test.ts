import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv from 'ajv';
import { KUBE_CA_HEADER, KUBE_TOKEN_HEADER } from '../../src/contract/kubernetes';
import { proxy, type ProxyRoute } from './grafanaProxy';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

// Grafana's plugin.schema.json cannot be fetched here: these are its rules as documented.
const pluginSchema = {
  type: 'object',
  required: ['id', 'type', 'name', 'info', 'dependencies'],
  properties: {
    id: { type: 'string', pattern: '^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource)$' },
    type: { enum: ['app', 'panel', 'datasource', 'renderer', 'secretsmanager'] },
    name: { type: 'string', minLength: 1 },
    info: {
      type: 'object',
      required: ['keywords', 'logos', 'version', 'updated'],
      properties: {
        keywords: { type: 'array', minItems: 1, items: { type: 'string' } },
        logos: {
          type: 'object',
          required: ['small', 'large'],
          properties: { small: { type: 'string' }, large: { type: 'string' } },
        },
        version: { type: 'string' },
        updated: { type: 'string' },
      },
    },
    dependencies: {
      type: 'object',
      required: ['grafanaDependency'],
      properties: {
        grafanaDependency: { type: 'string', pattern: '^(<=|>=|<|>|=|~|\\^)?[0-9]+(\\.[0-9x*]+)*(\\S*)$' },
      },
    },
    includes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'name'],
        properties: {
          type: { enum: ['dashboard', 'page', 'panel', 'datasource'] },
          role: { enum: ['Admin', 'Editor', 'Viewer'] },
        },
      },
    },
    routes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'method', 'url', 'reqRole'],
        properties: {
          method: { enum: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', '*'] },
          reqRole: { enum: ['Admin', 'Editor', 'Viewer'] },
          url: { type: 'string', pattern: '^\\{\\{ \\.JsonData\\.backendUrl \\}\\}/' },
          headers: { type: 'array', items: { type: 'object', required: ['name', 'content'] } },
        },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(pluginSchema);

/** The route Grafana's plugin proxy picks (test/plugin/grafanaProxy.ts models its source). */
const matchRoute = (routes: ProxyRoute[], method: string, path: string) => proxy(routes, method, path)?.route;

describe('plugin.json', () => {
  const app = read('plugin.json');
  const panel = read('src/panels/anomaly/plugin.json');

  it('is a valid app manifest with the right id', () => {
    expect(validate(app)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    expect(app.id).toBe('failureprophet-healing-app');
    expect(app.type).toBe('app');
    expect(app.info.version).toBe('%VERSION%');
    expect(app.info.updated).toBe('%TODAY%');
  });

  it('includes a valid nested panel with its own manifest', () => {
    expect(validate(panel)).toBe(true);
    expect(panel.id).toBe('failureprophet-anomaly-panel');
    expect(panel.type).toBe('panel');
    const include = app.includes.find((i: { type: string }) => i.type === 'panel');
    expect(include.path).toBe('panels/anomaly/plugin.json');
    expect(existsSync(join(ROOT, 'src', include.path))).toBe(true);
  });

  it('points at logos that exist', () => {
    for (const [manifest, dir] of [
      [app, 'src'],
      [panel, 'src/panels/anomaly'],
    ] as const) {
      for (const logo of Object.values(manifest.info.logos) as string[]) {
        expect(existsSync(join(ROOT, dir, logo))).toBe(true);
      }
    }
  });

  it('lists app pages under /a/%PLUGIN_ID%/ and the config page for Admins', () => {
    const pages = app.includes.filter((i: { type: string }) => i.type === 'page');
    expect(pages.find((p: { defaultNav?: boolean }) => p.defaultNav)).toBeDefined();
    for (const page of pages) {
      expect(page.path === '/plugins/%PLUGIN_ID%' || page.path.startsWith('/a/%PLUGIN_ID%/')).toBe(true);
    }
    expect(pages.find((p: { path: string }) => p.path === '/plugins/%PLUGIN_ID%').role).toBe('Admin');
  });

  it('is the same file as src/plugin.json, which the build reads', () => {
    expect(read('src/plugin.json')).toEqual(app);
    expect(dirname(join(ROOT, 'src', 'plugin.json'))).toBe(join(ROOT, 'src'));
  });

  describe('proxy routes', () => {
    const routes = app.routes as ProxyRoute[];

    it('each injects the backend token from secureJsonData', () => {
      for (const route of routes) {
        expect(route.headers).toContainEqual({
          name: 'Authorization',
          content: 'Bearer {{ .SecureJsonData.backendToken }}',
        });
      }
    });

    // The rows after the plain paths: Grafana compares each route segment with the request's
    // percent-decoded and cleans literal dot segments first, so an encoded or dotted spelling of an
    // admin path still needs Admin; what the `*` took is forwarded decoded and not cleaned, so
    // encoded dot segments reach the backend as literal ones, under the route's URL
    // (test/plugin/proxyReach.test.ts checks that the backend routes no such path outside it).
    it.each([
      ['GET', 'healthz', 'Viewer', '/healthz', '/healthz'],
      ['GET', 'readyz', 'Viewer', '/readyz', '/readyz'],
      ['GET', 'predict', 'Viewer', '/predict', '/predict'],
      ['GET', 'api/anomalies', 'Viewer', '/api', '/api/anomalies'],
      ['GET', 'api/admin/kill-switch', 'Viewer', '/api', '/api/admin/kill-switch'],
      ['POST', 'api/actions/17/approve', 'Editor', '/api/actions', '/api/actions/17/approve'],
      ['POST', 'api/breakers/close', 'Editor', '/api/breakers', '/api/breakers/close'],
      ['GET', 'api/breakers', 'Viewer', '/api', '/api/breakers'],
      ['POST', 'api/anomalies/3/feedback', 'Editor', '/api/anomalies', '/api/anomalies/3/feedback'],
      ['POST', 'api/models/retrain', 'Editor', '/api/models', '/api/models/retrain'],
      ['PUT', 'api/admin/kubernetes', 'Admin', '/api/admin/kubernetes', '/api/admin/kubernetes'],
      ['GET', 'api/kubernetes', 'Viewer', '/api', '/api/kubernetes'],
      ['DELETE', 'api/admin/kubernetes', 'Admin', '/api/admin', '/api/admin/kubernetes'],
      ['PUT', 'api/admin/kill-switch', 'Admin', '/api/admin', '/api/admin/kill-switch'],
      ['PUT', 'api/admin/policies', 'Admin', '/api/admin', '/api/admin/policies'],
      ['POST', 'api/admin/test/kubernetes', 'Admin', '/api/admin', '/api/admin/test/kubernetes'],
      ['PUT', 'api/%61dmin/kill-switch', 'Admin', '/api/admin', '/api/admin/kill-switch'],
      ['PUT', 'api/%61dmin/%6bubernetes', 'Admin', '/api/admin/kubernetes', '/api/admin/kubernetes'],
      ['PUT', 'api/actions/../admin/kill-switch', 'Admin', '/api/admin', '/api/admin/kill-switch'],
      ['POST', 'api/actions/./1/approve', 'Editor', '/api/actions', '/api/actions/1/approve'],
      ['GET', '%61pi/%61dmin/kill-switch', 'Viewer', '/api', '/api/admin/kill-switch'],
      [
        'POST',
        'api/actions/..%2Fadmin%2Ftest%2Fkubernetes',
        'Editor',
        '/api/actions',
        '/api/actions/../admin/test/kubernetes',
      ],
      ['POST', 'api/actions/%2e%2e/alerts', 'Editor', '/api/actions', '/api/actions/../alerts'],
      ['GET', 'api/..%2Fmetrics', 'Viewer', '/api', '/api/../metrics'],
      ['POST', 'api/actions/%252e%252e/alerts', 'Editor', '/api/actions', '/api/actions/%252e%252e/alerts'],
    ])(
      '%s %s needs %s, goes to the route for %s and reaches the backend as %s',
      (method, path, role, base, forwarded) => {
        const proxied = proxy(routes, method, path);
        expect(proxied?.route.reqRole).toBe(role);
        expect(proxied?.route.url).toBe(`{{ .JsonData.backendUrl }}${base}`);
        expect(proxied?.upstream).toBe(forwarded);
      }
    );

    it.each([
      ['POST', 'api/targets'],
      ['DELETE', 'api/actions/1'],
      ['PUT', 'api/anomalies/1'],
      ['POST', 'metrics'],
      ['PUT', 'api%2Fadmin%2Fkill-switch'],
      ['POST', 'api/actions%2F1%2Fapprove'],
      ['GET', 'healthz%2F..%2Fapi%2Ftargets'],
      ['PUT', 'api/admin/%zz'],
    ])('%s %s matches no route, so Grafana answers 404', (method, path) => {
      expect(matchRoute(routes, method, path)).toBeUndefined();
    });

    // Grafana's proxy renders each route header with Go's text/template (interpolateString) and
    // sets it with Header.Set (addHeaders in pkg/api/pluginproxy), so it replaces a header of the
    // same name the browser sent: the Kubernetes secrets can come only from secureJsonData.
    // `orEmpty` renders an unset secret as "" instead of "<no value>".
    it('sends the Kubernetes token and CA from secureJsonData only to the Kubernetes settings route', () => {
      const route = matchRoute(routes, 'PUT', 'api/admin/kubernetes');
      const headers = Object.fromEntries(route!.headers.map((h) => [h.name.toLowerCase(), h.content]));
      expect(headers[KUBE_TOKEN_HEADER]).toBe('{{ .SecureJsonData.kubeToken | orEmpty }}');
      expect(headers[KUBE_CA_HEADER]).toBe('{{ .SecureJsonData.kubeCa | orEmpty }}');
      const carrying = routes.filter((r) => r.headers.some((h) => /kubeToken|kubeCa/.test(h.content)));
      expect(carrying).toEqual([route]);
      // Declared before the generic admin PUT, which would otherwise win and forward no secrets.
      const generic = routes.findIndex((r) => r.path === 'api/admin/*' && r.method === 'PUT');
      expect(routes.indexOf(route!)).toBeLessThan(generic);
    });

    it('declares one verb per route (a list such as "GET,POST" would match nothing)', () => {
      for (const route of routes) {
        expect(route.method).toMatch(/^(GET|POST|PUT|DELETE|PATCH|\*)$/);
      }
    });
  });
});
