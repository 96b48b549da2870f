import { messageOf } from '../../utils/messageOf';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { kubernetesOptionsFromEnv } from '../kubernetes/config';
import { plainIssue } from './plainWords';
import { configSchema, type Config } from './schema';

/** Environment variables that override keys of the YAML file, as `key.path`. */
const ENV_OVERRIDES: Record<string, string[]> = {
  FP_PORT: ['port'],
  FP_HOST: ['host'],
  FP_API_TOKEN: ['apiToken'],
  FP_ALERT_TOKEN: ['alertToken'],
  FP_DATA_DIR: ['dataDir'],
  FP_LOG_LEVEL: ['logLevel'],
  FP_MAX_CONCURRENT_REQUESTS: ['server', 'maxConcurrentRequests'],
  FP_MAX_EVENT_LOOP_DELAY: ['server', 'maxEventLoopDelay'],
  FP_LIST_WORKERS: ['server', 'listWorkers'],
  FP_LIST_QUEUE: ['server', 'listQueue'],
  FP_PROMETHEUS_URL: ['prometheus', 'url'],
  FP_GRAFANA_URL: ['grafana', 'url'],
  FP_GRAFANA_TOKEN: ['grafana', 'token'],
  FP_RETRAIN_CRON: ['pipeline', 'retrain'],
  FP_MAX_TARGET_SERIES: ['pipeline', 'maxTargetSeries'],
  FP_DETECTION_RETENTION_DAYS: ['pipeline', 'retentionDays'],
  FP_NOTIFY_WEBHOOK_URL: ['healing', 'notify', 'webhookUrl'],
  FP_HEALING_RETENTION_DAYS: ['healing', 'retentionDays'],
  FP_DATABASE_URL: ['store', 'url'],
  FP_ALERTMANAGER_URL: ['alertmanager', 'url'],
  FP_LEASE_NAME: ['coordination', 'leaseName'],
  FP_LEASE_NAMESPACE: ['coordination', 'leaseNamespace'],
  FP_METRICS_REQUIRE_AUTH: ['metrics', 'requireAuth'],
  FP_METRICS_BASIC_AUTH_USERNAME: ['metrics', 'basicAuth', 'username'],
  FP_METRICS_BASIC_AUTH_PASSWORD: ['metrics', 'basicAuth', 'password'],
  // The downward API's pod name (deploy/deployment.yaml): each replica's identity for leader election.
  POD_NAME: ['coordination', 'identity'],
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the YAML file named by FP_CONFIG (if any), applies FP_* overrides and validates the result.
 * Throws a ConfigError naming every key that is wrong and why.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = readConfigFile(env.FP_CONFIG);
  const sources = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setPath(raw, path, value);
      sources.set(path.join('.'), name);
    }
  }
  // A token in a file (a mounted secret, or the compose stack's init service): FP_GRAFANA_TOKEN wins.
  if (env.FP_GRAFANA_TOKEN_FILE && !env.FP_GRAFANA_TOKEN) {
    setPath(raw, ['grafana', 'token'], readTokenFile('FP_GRAFANA_TOKEN_FILE', env.FP_GRAFANA_TOKEN_FILE));
    sources.set('grafana.token', 'FP_GRAFANA_TOKEN_FILE');
  }
  // FP_KUBE_URL (+ FP_KUBE_TOKEN, FP_KUBE_CA_FILE) overrides the file; KUBECONFIG and the in-cluster
  // service account apply only when the file says nothing about Kubernetes.
  const kube = kubernetesOptionsFromEnv(env);
  if (kube && (env.FP_KUBE_URL || raw.kubernetes === undefined)) {
    raw.kubernetes = kube;
    if (env.FP_KUBE_URL) {
      sources
        .set('kubernetes.url', 'FP_KUBE_URL')
        .set('kubernetes.token', 'FP_KUBE_TOKEN')
        .set('kubernetes.caFile', 'FP_KUBE_CA_FILE');
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(describeIssues(parsed.error, sources, env.FP_CONFIG));
  }
  return parsed.data;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) {
    return {};
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read FP_CONFIG file ${path}: ${messageOf(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    // Only the fault and where it is: the parser goes on to quote the lines around it, which may hold a token.
    throw new ConfigError(`FP_CONFIG file ${path} is not valid YAML: ${messageOf(err).split(':\n')[0]}`);
  }
  if (doc === null || doc === undefined) {
    return {};
  }
  if (!isMapping(doc)) {
    throw new ConfigError(`FP_CONFIG file ${path} must hold a YAML mapping at the top level`);
  }
  return doc;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readTokenFile(variable: string, path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${variable} names ${path}, which cannot be read: ${messageOf(err)}`);
  }
  if (token === '') {
    throw new ConfigError(`${variable} names ${path}, which is empty: it must hold the token`);
  }
  return token;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isMapping(next) ? next : (node[key] = {});
  }
  node[path[path.length - 1]] = value;
}

function describeIssues(error: z.ZodError, sources: Map<string, string>, file: string | undefined): string {
  const origin = (key: string) => {
    const env = sources.get(key);
    return env ? ` (from ${env})` : file ? ` (in ${file})` : '';
  };
  const lines = error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown key, named in full, where a reader looks for a misspelt setting.
      return issue.keys.map((name) => {
        const key = [...issue.path, name].join('.');
        return `  - ${key}${origin(key)}: is not a setting here (check its spelling in the configuration reference)`;
      });
    }
    const key = issue.path.join('.') || '(top level)';
    return [`  - ${key}${origin(key)}: ${plainIssue(issue)}`];
  });
  return `invalid configuration:\n${lines.join('\n')}`;
}
