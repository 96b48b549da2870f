import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// Nothing here can run Docker: these checks keep the compose stack and provisioning consistent.
const ROOT = join(__dirname, '..', '..');
const yaml = (path: string) => parse(readFileSync(join(ROOT, path), 'utf8'));
const compose = yaml('docker-compose.yml');
const manifest = JSON.parse(readFileSync(join(ROOT, 'plugin.json'), 'utf8'));
/** Every YAML file under provisioning/, as a path from the root. */
const provisioningFiles = (): string[] =>
  readdirSync(join(ROOT, 'provisioning'), { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.ya?ml$/.test(path))
    .map((path) => join('provisioning', path));

describe('docker-compose.yml and provisioning/', () => {
  it('runs Grafana, Prometheus, node-exporter, the backend and a demo workload', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'backend',
      'demo-workload',
      'grafana',
      'node-exporter',
      'prometheus',
    ]);
  });

  it('mounts dist/ as the plugin and provisioning/ into Grafana, allowing the unsigned plugin and sending the user header', () => {
    const grafana = compose.services.grafana;
    expect(grafana.volumes).toContain(`./dist:/var/lib/grafana/plugins/${manifest.id}`);
    expect(grafana.volumes).toContain('./provisioning:/etc/grafana/provisioning');
    expect(grafana.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS.split(',')).toEqual(
      expect.arrayContaining([manifest.id, 'failureprophet-anomaly-panel'])
    );
    expect(grafana.environment.GF_DATAPROXY_SEND_USER_HEADER).toBe('true');
  });

  it('enables the app with a backend URL that names the compose backend and its port, and the token from the environment', () => {
    const [app] = yaml('provisioning/plugins/apps.yaml').apps;
    expect(app.type).toBe(manifest.id);
    expect(app.disabled).toBe(false);
    const url = new URL(app.jsonData.backendUrl);
    expect(compose.services[url.hostname]).toBeDefined();
    expect(url.port).toBe(compose.services[url.hostname].environment.FP_PORT);
    expect(app.secureJsonData.backendToken).toBe('$FP_API_TOKEN');
    // Grafana and the backend read the same token.
    expect(compose.services.grafana.environment.FP_API_TOKEN).toBe(compose.services.backend.environment.FP_API_TOKEN);
  });

  it('has no default token anywhere: compose refuses to start without FP_API_TOKEN, provisioning only reads it', () => {
    const texts = ['docker-compose.yml', ...provisioningFiles()].map((path) => ({
      path,
      text: readFileSync(join(ROOT, path), 'utf8'),
    }));
    for (const { path, text } of texts) {
      // ${VAR:-default}, ${VAR-default}, ${VAR:=default}, ${VAR=default} of any *TOKEN variable.
      expect({ path, defaults: text.match(/\$\{[A-Z_]*TOKEN[A-Z_]*:?[-=][^}]*\}/g) }).toEqual({ path, defaults: null });
      expect({ path, known: text.match(/change-?me|changeme|secret-token|admin-token/gi) }).toEqual({
        path,
        known: null,
      });
    }
    for (const service of ['grafana', 'backend']) {
      expect(compose.services[service].environment.FP_API_TOKEN).toMatch(/^\$\{FP_API_TOKEN:\?[^}]+\}$/);
    }
    // Every secret provisioning sends is read from the environment, none written in the file.
    const secrets = provisioningFiles()
      .map((path) => yaml(path))
      .flatMap((doc) => [...(doc?.apps ?? []), ...(doc?.datasources ?? [])])
      .flatMap((entry: { secureJsonData?: Record<string, string> }) => Object.values(entry.secureJsonData ?? {}));
    expect(secrets.length).toBeGreaterThan(0);
    for (const value of secrets) {
      expect(value).toMatch(/^\$(\{[A-Z_]+\}|[A-Z_]+)$/);
    }
  });

  it('publishes the backend on this machine only (Grafana and Prometheus reach it inside the compose network)', () => {
    expect(compose.services.backend.ports).toEqual(['127.0.0.1:3001:3001']);
  });

  it('provisions a Prometheus data source that points at the compose Prometheus, which the backend queries too', () => {
    const [ds] = yaml('provisioning/datasources/prometheus.yaml').datasources;
    expect(ds.type).toBe('prometheus');
    expect(ds.access).toBe('proxy');
    expect(new URL(ds.url).hostname).toBe('prometheus');
    expect(compose.services.backend.environment.FP_PROMETHEUS_URL).toBe(ds.url);
  });

  it('has Prometheus scrape the backend /metrics, node-exporter and the demo workload', () => {
    const config = yaml('compose/prometheus.yml');
    const targets = config.scrape_configs.flatMap((job: { static_configs: Array<{ targets: string[] }> }) =>
      job.static_configs.flatMap((c) => c.targets)
    );
    expect(targets).toEqual(expect.arrayContaining(['backend:3001', 'node-exporter:9100', 'demo-workload:8080']));
    const mount = compose.services.prometheus.volumes.find((v: string) =>
      v.endsWith('/etc/prometheus/prometheus.yml:ro')
    );
    expect(existsSync(join(ROOT, mount.split(':')[0]))).toBe(true);
  });

  it('builds the backend from the Dockerfile that runs the bundled server', () => {
    expect(compose.services.backend.build).toBe('.');
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain(
      'CMD ["node", "--enable-source-maps", "dist-server/main.mjs"]'
    );
  });
});
