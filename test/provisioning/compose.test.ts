import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/server/config/schema';

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
      'grafana-token',
      'node-exporter',
      'postgres',
      'prometheus',
    ]);
  });

  it('starts PostgreSQL only behind the postgres profile, and the backend uses it only when FP_DATABASE_URL is set', () => {
    const postgres = compose.services.postgres;
    expect(postgres.profiles).toEqual(['postgres']);
    expect(postgres.ports).toBeUndefined();
    expect(postgres.image).toMatch(/^postgres:15/);
    expect(compose.services.backend.environment.FP_DATABASE_URL).toBe('${FP_DATABASE_URL:-}');
    expect(Object.values(compose.services).filter((s: any) => s.profiles)).toEqual([postgres]);
  });

  it('points the backend at the postgres service with docker-compose.postgres.yml, once it is healthy', () => {
    const override = yaml('docker-compose.postgres.yml');
    // It only adds to services the stack has; the postgres service stays behind its profile.
    expect(Object.keys(override.services)).toEqual(['backend']);
    const { postgres } = compose.services;
    // As compose interpolates with nothing set: each ${NAME:-default} is its default.
    const interpolate = (v: string) => v.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
    const url = new URL(interpolate(override.services.backend.environment.FP_DATABASE_URL));
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(url.username).toBe(postgres.environment.POSTGRES_USER);
    expect(url.password).toBe(interpolate(postgres.environment.POSTGRES_PASSWORD));
    expect(url.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`);
    expect(configSchema.parse({ store: { url: url.href } }).store.url).toBe(url.href);
    expect(override.services.backend.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(postgres.healthcheck).toBeDefined();
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
    // The target pages' watches and Explore links need the data source, the provisioned Prometheus.
    const prometheus = yaml('provisioning/datasources/prometheus.yaml').datasources.find(
      (d: { type: string }) => d.type === 'prometheus'
    );
    expect(app.jsonData.prometheusDatasourceUid).toBe(prometheus.uid);
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

  // Compose publishes a port given as HOST:CONTAINER on every interface of the host. Grafana's
  // admin/admin would be an Admin login for the whole network (and with it every admin route of
  // the backend), Prometheus an unauthenticated view of the host's node-exporter metrics.
  it('publishes every port on this machine only: Grafana (admin/admin) and Prometheus too', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]: [string, any]) =>
      (service.ports ?? []).map((port: string) => ({ name, port }))
    );
    expect(published.map((p) => p.name).sort()).toEqual(['backend', 'grafana', 'prometheus']);
    for (const { name, port } of published) {
      expect({ name, host: port.split(':')[0] }).toEqual({ name, host: '127.0.0.1' });
    }
  });

  it('provisions a Prometheus data source that points at the compose Prometheus, which the backend queries too', () => {
    const [ds] = yaml('provisioning/datasources/prometheus.yaml').datasources;
    expect(ds.type).toBe('prometheus');
    expect(ds.access).toBe('proxy');
    expect(new URL(ds.url).hostname).toBe('prometheus');
    expect(compose.services.backend.environment.FP_PROMETHEUS_URL).toBe(ds.url);
  });

  it('mounts the host into node-exporter read-only, without rslave (refused where / is not a shared mount: Docker Desktop, rootless)', () => {
    expect(compose.services['node-exporter'].volumes).toEqual(['/:/host:ro']);
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

describe('the compose demo: the whole loop within minutes', () => {
  const backend = compose.services.backend;
  /** The host file mounted at a container path, e.g. ./compose/watches.yaml for /etc/failureprophet/watches.yaml. */
  const hostFileAt = (service: { volumes: string[] }, containerPath: string) =>
    service.volumes.map((v) => v.split(':')).find(([, target]) => target === containerPath)?.[0];

  it('gives the backend the demo watch file as FP_CONFIG, and the file is a valid configuration', () => {
    const file = hostFileAt(backend, backend.environment.FP_CONFIG);
    expect(file).toBe('./compose/watches.yaml');
    const config = configSchema.parse(yaml(file!));
    expect(config.watches!.length).toBeGreaterThan(0);
    expect(config.healing.policies!.length).toBeGreaterThan(0);
  });

  it('watches every metric the demo workload exports', () => {
    const workload = readFileSync(join(ROOT, 'demo/workload.mjs'), 'utf8');
    // Families are declared as `# TYPE name type` lines or as ['name', 'type', ...] entries.
    const exported = [...workload.matchAll(/# TYPE (demo_\w+) (\w+)|\[\s*'(demo_\w+)',\s*'(\w+)'/g)].map((m) => ({
      name: m[1] ?? m[3],
      type: m[2] ?? m[4],
    }));
    expect(exported.map((m) => m.name).sort()).toEqual([
      'demo_memory_limit_bytes',
      'demo_memory_working_set_bytes',
      'demo_replica_up',
      'demo_request_duration_seconds',
      'demo_restarts_total',
    ]);
    const queries = configSchema
      .parse(yaml('compose/watches.yaml'))
      .watches!.flatMap((w) => Object.values(w.queries))
      .join('\n');
    for (const { name, type } of exported) {
      // A summary is queried through its _sum and _count series.
      const series = type === 'summary' ? [`${name}_sum`, `${name}_count`] : [name];
      for (const s of series) {
        expect({ metric: s, watched: new RegExp(`\\b${s}\\b`).test(queries) }).toEqual({ metric: s, watched: true });
      }
    }
  });

  it('maps the demo targets to a Deployment, so policies propose actions with a dry run', () => {
    const config = configSchema.parse(yaml('compose/watches.yaml'));
    for (const watch of config.watches!) {
      expect(watch.object).toEqual({ kind: 'Deployment', namespace: 'namespace', name: 'deployment' });
      // Short steps and probation, which the detectors' learning follows: a first anomaly within
      // about ten minutes of start (the first latency spike, test/pipeline/firstHour.test.ts).
      expect(watch.step * (watch.probation ?? Infinity)).toBeLessThanOrEqual(6 * 60_000);
    }
    const gates = config.healing.policies!.map((p) => p.gate);
    expect(gates).toContain('dry-run');
  });

  it("provides the annotation token: an init service creates it with Grafana's service-account API and the backend reads its file", () => {
    const init = compose.services['grafana-token'];
    const script = hostFileAt(init, init.command[1].replace(/\/[^/]+$/, ''));
    expect(script).toBe('./compose');
    const source = readFileSync(join(ROOT, 'compose', init.command[1].split('/').pop()), 'utf8');
    expect(source).toContain("'/api/serviceaccounts'");
    expect(source).toContain('/api/serviceaccounts/${id}/tokens');
    // The init service writes the file into a volume the backend mounts at the directory FP_GRAFANA_TOKEN_FILE names.
    const tokenFile: string = backend.environment.FP_GRAFANA_TOKEN_FILE;
    const [volume] = init.volumes
      .find((v: string) => v.endsWith(`:${init.environment.TOKEN_FILE.replace(/\/[^/]+$/, '')}`))
      .split(':');
    expect(backend.volumes).toContain(`${volume}:${tokenFile.replace(/\/[^/]+$/, '')}:ro`);
    expect(tokenFile.split('/').pop()).toBe(init.environment.TOKEN_FILE.split('/').pop());
    expect(compose.volumes).toHaveProperty(volume);
    expect(backend.depends_on['grafana-token']).toEqual({ condition: 'service_completed_successfully' });
    expect(backend.environment.FP_GRAFANA_TOKEN).toBeUndefined();
    expect(new URL(init.environment.GRAFANA_URL).hostname).toBe('grafana');
  });
});
