import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_WATCHES } from '../server/pipeline/defaultWatches';
import pluginJson from '../plugin.json';

/**
 * The dashboards shipped in src/dashboards (this test sits here because the frontend Jest project
 * covers src/panels). They must import into any Grafana: no data source uid, only the
 * `datasource` variable; every metric must be one the exporters or the backend really expose.
 */
const DIR = join(__dirname, '..', 'dashboards');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const dashboards = files.map((file) => ({ file, json: JSON.parse(readFileSync(join(DIR, file), 'utf8')) }));

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { type: string; uid: string } }>;
  options?: Record<string, unknown>;
  panels?: Panel[];
}

const panelsOf = (d: { panels: Panel[] }): Panel[] =>
  d.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');

/** Names the backend registers (prom-client `name: 'failureprophet_...'`), histograms with their series. */
function backendMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/name: '(failureprophet_[a-z_]+)'/g)) {
          names.add(m[1]);
          ['_bucket', '_sum', '_count'].forEach((s) => names.add(m[1] + s));
        }
      }
    }
  };
  walk(join(__dirname, '..', 'server'));
  return names;
}

/** What node-exporter, cAdvisor and kube-state-metrics export under these names. */
const EXPORTER_METRICS = new Set([
  'node_cpu_seconds_total',
  'node_memory_MemAvailable_bytes',
  'node_memory_MemTotal_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_size_bytes',
  'node_network_receive_errs_total',
  'node_network_transmit_errs_total',
  'node_uname_info',
  'container_memory_working_set_bytes',
  'container_cpu_usage_seconds_total',
  'kube_pod_container_resource_limits',
  'kube_pod_container_status_restarts_total',
  'kube_deployment_status_replicas_unavailable',
  'kube_pod_info',
]);

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels, strings or ranges. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    if (!m[2] && !KEYWORDS.has(m[1])) {
      names.push(m[1]);
    }
  }
  return names;
}

describe('shipped dashboards', () => {
  const known = new Set([...EXPORTER_METRICS, ...backendMetrics()]);

  it('are all listed in plugin.json includes, and every include exists', () => {
    const included = pluginJson.includes.filter((i) => i.type === 'dashboard').map((i) => i.path);
    expect(included.sort()).toEqual(files.map((f) => `dashboards/${f}`).sort());
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNames(
        'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", pod=~"a|b"}[5m])) / on (pod) kube_pod_info'
      )
    ).toEqual(['container_cpu_usage_seconds_total', 'kube_pod_info']);
  });

  describe.each(dashboards)('$file', ({ json }) => {
    it('has a title, a uid, and a Prometheus data source variable', () => {
      expect(json.uid).toMatch(/^failureprophet-/);
      expect(json.title).toMatch(/^Failure Prophet \//);
      expect(json.templating.list).toContainEqual(
        expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })
      );
    });

    it('never names a data source uid: every panel, query and variable uses ${datasource}', () => {
      for (const p of panelsOf(json)) {
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        for (const t of p.targets ?? []) {
          expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        }
      }
      for (const v of json.templating.list.filter((v: { type: string }) => v.type === 'query')) {
        expect(v.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    });

    it('queries only metrics the exporters or the backend expose', () => {
      const exprs = [
        ...panelsOf(json).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
        ...json.templating.list
          .filter((v: { type: string }) => v.type === 'query')
          .map((v: { definition: string }) => v.definition.replace(/^label_values\((\w+),.*$/, '$1')),
      ];
      expect(exprs.length).toBeGreaterThan(0);
      for (const expr of exprs) {
        const names = metricNames(expr);
        expect({ expr, names }).toEqual({
          expr,
          names: expect.arrayContaining([expect.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)]),
        });
        for (const name of names) {
          expect({ expr, name, known: known.has(name) }).toEqual({ expr, name, known: true });
        }
      }
    });
  });

  it('the overview draws every metric with the anomaly panel, each tied to a signal of a default backend watch', () => {
    const overview = dashboards.find((d) => d.json.uid === 'failureprophet-overview')!.json;
    const signals = new Set(DEFAULT_WATCHES.flatMap((w) => Object.keys(w.queries).map((q) => `${w.name}/${q}`)));
    const panels = panelsOf(overview);
    expect(panels.length).toBeGreaterThanOrEqual(6);
    for (const p of panels) {
      expect(p.type).toBe('failureprophet-anomaly-panel');
      expect(signals.has(p.options?.backendSignal as string)).toBe(true);
    }
    const text = JSON.stringify(overview);
    for (const metric of [
      'node_cpu_seconds_total',
      'container_memory_working_set_bytes',
      'kube_pod_container_resource_limits',
      'kube_pod_container_status_restarts_total',
      'node_filesystem_avail_bytes',
    ]) {
      expect(text).toContain(metric);
    }
  });

  it('the healing activity dashboard covers what the backend exports about its work', () => {
    const text = JSON.stringify(dashboards.find((d) => d.json.uid === 'failureprophet-healing')!.json);
    for (const metric of [
      'failureprophet_anomaly_score',
      'failureprophet_time_to_failure_seconds',
      'failureprophet_anomalies_open',
      'failureprophet_actions_total',
      'failureprophet_cycle_duration_seconds_bucket',
      'failureprophet_query_errors_total',
    ]) {
      expect(text).toContain(metric);
    }
  });
});
