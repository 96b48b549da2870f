import { createHash } from 'node:crypto';
import {
  type AlertmanagerAlert,
  type HealingTrigger,
  type KubeObjectRef,
  kubeObjectRefOf,
  type Severity,
} from '../../contract/healing';

/** Severity labels as alerting rules spell them (kube-prometheus uses critical / warning / info). */
const SEVERITIES: Record<string, Severity> = {
  critical: 'critical',
  page: 'critical',
  error: 'high',
  high: 'high',
  major: 'high',
  warning: 'medium',
  warn: 'medium',
  medium: 'medium',
  minor: 'low',
  info: 'low',
  low: 'low',
  none: 'low',
};

/**
 * The severity a rule's label spells, medium when unknown. Only the table's own words: any rule author picks
 * the label, and "constructor" or "toString" looked up in a plain object find Object's methods, which failed the
 * trigger's schema and with it the whole webhook, every other alert of the group included.
 */
const severityOf = (label = ''): Severity => {
  const word = label.toLowerCase();
  return Object.hasOwn(SEVERITIES, word) ? SEVERITIES[word] : 'medium';
};

/** The Kubernetes object an alert is about, from kube-state-metrics' label names. */
export function objectFromLabels(labels: Record<string, string>): KubeObjectRef | undefined {
  const namespace = labels.namespace;
  for (const kind of ['deployment', 'statefulset', 'daemonset', 'pod'] as const) {
    if (labels[kind] && namespace) {
      return kubeObjectRefOf({ kind, namespace, name: labels[kind] });
    }
  }
  return labels.node ? kubeObjectRefOf({ kind: 'node', name: labels.node }) : undefined;
}

/** Alertmanager's fingerprint when sent (both Alertmanager and Grafana do); else a hash of the sorted labels. */
export function fingerprintOf(alert: AlertmanagerAlert): string {
  if (alert.fingerprint) {
    return alert.fingerprint;
  }
  const sorted = Object.keys(alert.labels)
    .sort()
    .map((k) => `${k}=${alert.labels[k]}`)
    .join('\u0000');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

/**
 * One firing episode of one alert: its fingerprint and when it started (the resolved notification
 * carries the same start). A flapping alert that fires again later is a new trigger, so its
 * policy may propose again; repeats within an episode are not. Alertmanager keeps the first start
 * only while a repeat overlaps the stored alert's active range (provider/mem's merge), and Grafana
 * sets it when the rule enters Alerting, so a fire after a resolve starts anew; one that resolved
 * and fires again with the same start reopens its trigger as a new episode (intake.ts endEpisode).
 */
export function triggerIdOf(alert: AlertmanagerAlert): string {
  const fingerprint = fingerprintOf(alert);
  const started = alert.startsAt ? Date.parse(alert.startsAt) : NaN;
  return Number.isFinite(started) ? `${fingerprint}@${new Date(started).toISOString()}` : fingerprint;
}

export function triggerFromAlert(alert: AlertmanagerAlert, receivedAt: number): HealingTrigger {
  const startedAt = alert.startsAt ? Date.parse(alert.startsAt) : NaN;
  return {
    source: 'alert',
    id: triggerIdOf(alert),
    watch: alert.labels.alertname,
    labels: alert.labels,
    severity: severityOf(alert.labels.severity),
    object: objectFromLabels(alert.labels),
    summary:
      alert.annotations.summary ?? alert.annotations.description ?? alert.annotations.message ?? alert.labels.alertname,
    startedAt: Number.isFinite(startedAt) ? startedAt : receivedAt,
  };
}
