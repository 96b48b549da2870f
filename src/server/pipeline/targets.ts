import type { SignalKind } from '../../detection';
import type { KubernetesObject } from '../../contract/pipeline';
import { promqlLabelName } from '../../contract/vocabulary';
import type { WatchConfig } from '../config/schema';
import type { TargetSettings } from './targetModel';

/**
 * A target's id: `<watch>{label="value",...}`, stable across restarts and readable in the UI. A label name
 * is written as PromQL writes it, bare when classic and quoted otherwise (`{"service.name"="cart"}`), so a
 * name holding `"`, `=`, `,` or `}` reads back as itself (targetIdLabels.ts). A U+0000 in a label (the text
 * exposition format takes the byte) is written U+FFFD, as PostgreSQL must store it
 * (store/postgres/nulText.ts): so an id is the same on both stores and in memory, and holds no NUL.
 */
export function targetId(watch: string, labels: Record<string, string>): string {
  const inner = Object.keys(labels)
    .sort()
    .map((k) => `${promqlLabelName(withoutNulChar(k))}=${JSON.stringify(withoutNulChar(labels[k]))}`)
    .join(',');
  return `${watch}{${inner}}`;
}

const withoutNulChar = (text: string) => (text.includes('\u0000') ? text.replaceAll('\u0000', '\ufffd') : text);

/** The values of the watch's target labels (missing labels are empty strings, as in PromQL). */
export function targetLabels(watch: WatchConfig, seriesLabels: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const name of watch.target) {
    labels[name] = seriesLabels[name] ?? '';
  }
  return labels;
}

/**
 * The labels in strings of their own, for what keeps them. A label value read from an answer
 * (matrixText.ts) is, in V8, a slice of the answer's whole text: a target keeping it kept that text
 * for its life (a 20 MB answer, by one target: alignment.test.ts), and with pods coming and going,
 * one answer for every answer a target was first seen in.
 */
export function ownLabels(labels: Record<string, string>): Record<string, string> {
  const own: Record<string, string> = JSON.parse(JSON.stringify(labels));
  return own;
}

const KIND_BY_NAME: Array<[RegExp, SignalKind]> = [
  [/^up$|_up$|available|ready/i, 'up'],
  [/restart/i, 'restarts'],
  [/cpu/i, 'cpu'],
  [/mem|heap|rss|working_set/i, 'memory'],
  [/disk|fs|filesystem|volume|inode/i, 'disk'],
  [/latency|duration|response_time|p9\d/i, 'latency'],
  [/err|fail|5xx/i, 'errors'],
  [/temp|thermal|celsius/i, 'temperature'],
  [/requests|traffic|rps|throughput|qps|bytes_received|receive|transmit/i, 'traffic'],
];

/** What a signal measures, from the watch's `kinds` or guessed from its name. */
export function signalKind(watch: WatchConfig, signal: string): SignalKind {
  const configured = watch.kinds[signal];
  if (configured) {
    return configured;
  }
  return KIND_BY_NAME.find(([pattern]) => pattern.test(signal))?.[1] ?? 'other';
}

/** The Kubernetes object healing would act on: as configured, or guessed from the target labels. */
export function kubernetesObject(watch: WatchConfig, labels: Record<string, string>): KubernetesObject | null {
  const namespace = (label?: string) => (label && labels[label] ? labels[label] : labels.namespace || undefined);
  if (watch.object) {
    const name = labels[watch.object.name];
    return name ? { kind: watch.object.kind, name, namespace: namespace(watch.object.namespace) } : null;
  }
  for (const [label, kind] of [
    // The most specific object first: a pod target is healed as that pod.
    ['pod', 'Pod'],
    ['deployment', 'Deployment'],
    ['statefulset', 'StatefulSet'],
    ['daemonset', 'DaemonSet'],
  ] as const) {
    if (labels[label]) {
      return { kind, name: labels[label], namespace: namespace() };
    }
  }
  return labels.node ? { kind: 'Node', name: labels.node } : null;
}

/** Normalised limits of a signal: a bare number means failure when the value rises to it. */
export function signalLimits(watch: WatchConfig, signal: string): { above?: number; below?: number } | undefined {
  const limit = watch.limits[signal];
  if (limit === undefined) {
    return undefined;
  }
  return typeof limit === 'number' ? { above: limit } : limit;
}

/**
 * At most `maxPoints` of a time-ordered series: one point per equal slice of its time span, the
 * slice's highest, at its own time. A one-step spike is never averaged away and the order is kept.
 */
export function downsampleMax(points: Array<[number, number]>, maxPoints: number): Array<[number, number]> {
  if (points.length <= maxPoints) {
    return points;
  }
  const t0 = points[0][0];
  const span = points[points.length - 1][0] - t0;
  const out: Array<[number, number]> = [];
  let slice = -1;
  for (const p of points) {
    const s = span > 0 ? Math.min(maxPoints - 1, Math.floor(((p[0] - t0) / span) * maxPoints)) : 0;
    if (s !== slice) {
      out.push(p);
      slice = s;
    } else if (p[1] > out[out.length - 1][1]) {
      out[out.length - 1] = p;
    }
  }
  return out;
}

/** How a watch's targets are modelled, from the watch and the pipeline's options. */
export function targetSettings(
  watch: WatchConfig,
  options: { detailPoints: number; predictionHorizonMs: number }
): TargetSettings {
  const historySteps = Math.floor(watch.history / watch.step);
  return {
    detector: watch.detector,
    stepMs: watch.step,
    probation: watch.probation ?? Math.min(750, Math.floor(0.15 * historySteps)),
    closeAfter: watch.closeAfter,
    horizonSteps: Math.max(1, Math.floor(options.predictionHorizonMs / watch.step)),
    detailPoints: options.detailPoints,
  };
}
