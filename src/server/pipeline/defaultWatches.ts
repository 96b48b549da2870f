import { watchSchema, type WatchConfig } from '../config/schema';

/**
 * What is watched when the config names no watches: the signals node-exporter, kube-state-metrics
 * and cAdvisor expose in most clusters. A query that matches nothing simply yields no targets.
 * Ratios against a limit (working set / memory limit, used / size) let one limit of 1 mean "full".
 */
export const DEFAULT_WATCHES: WatchConfig[] = [
  {
    name: 'node',
    queries: {
      cpu: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
      memory: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes',
      disk: 'max by (instance) (1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"})',
      network_errors:
        'sum by (instance) (rate(node_network_receive_errs_total[5m]) + rate(node_network_transmit_errs_total[5m]))',
    },
    target: ['instance'],
    step: '1m',
    history: '7d',
    limits: { memory: 0.95, disk: 0.95 },
    kinds: { network_errors: 'errors' },
  },
  {
    name: 'pod-resources',
    queries: {
      cpu: 'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", container!="POD"}[5m]))',
      memory:
        'sum by (namespace, pod) (container_memory_working_set_bytes{container!="", container!="POD"}) / sum by (namespace, pod) (kube_pod_container_resource_limits{resource="memory"})',
      restarts: 'sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[10m]))',
    },
    target: ['namespace', 'pod'],
    step: '1m',
    history: '7d',
    limits: { memory: 1 },
  },
  {
    name: 'deployment-availability',
    queries: {
      unavailable: 'kube_deployment_status_replicas_unavailable',
    },
    target: ['namespace', 'deployment'],
    step: '1m',
    history: '7d',
    kinds: { unavailable: 'up' },
  },
  {
    name: 'http',
    queries: {
      error_rate:
        'sum by (namespace, service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (namespace, service) (rate(http_requests_total[5m]))',
      latency_p99:
        'histogram_quantile(0.99, sum by (namespace, service, le) (rate(http_request_duration_seconds_bucket[5m])))',
      requests: 'sum by (namespace, service) (rate(http_requests_total[5m]))',
    },
    target: ['namespace', 'service'],
    step: '1m',
    history: '7d',
    kinds: { error_rate: 'errors', latency_p99: 'latency', requests: 'traffic' },
  },
].map((w) => watchSchema.parse(w));
