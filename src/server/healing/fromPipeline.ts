import type { Logger } from 'pino';
import type { HealingTrigger, KubeObjectRef } from '../../contract/healing';
import type { Anomaly, KubernetesObject } from '../../contract/pipeline';
import type { AnomalyListener } from '../pipeline/listener';
import type { HealingEngine } from './engine';

const KINDS: Record<KubernetesObject['kind'], KubeObjectRef['kind']> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
  Pod: 'pod',
  Node: 'node',
};

export function triggerFromAnomaly(
  anomaly: Anomaly,
  object: KubernetesObject | null | undefined,
  predictedFailureAt?: number
): HealingTrigger {
  const ref =
    object && (object.kind === 'Node' || object.namespace)
      ? { kind: KINDS[object.kind], name: object.name, ...(object.namespace ? { namespace: object.namespace } : {}) }
      : undefined;
  return {
    source: 'anomaly',
    id: String(anomaly.id),
    watch: anomaly.watch,
    labels: anomaly.labels,
    severity: anomaly.severity,
    failureModel: anomaly.failureModel,
    score: Math.min(1, Math.max(0, anomaly.peakScore)),
    ...(ref ? { object: ref } : {}),
    summary: `${anomaly.failureModel.replace('_', ' ')} on ${anomaly.target}: ${anomaly.signals.join(', ') || 'signals'} moved${anomaly.reasons[0] ? ` (${anomaly.reasons[0]})` : ''}`,
    startedAt: anomaly.start,
    ...(predictedFailureAt !== undefined ? { predictedFailureAt } : {}),
  };
}

/**
 * The pipeline's anomaly events, handed to the engine. An extended anomaly is handed again: its
 * severity may have risen to what another policy matches; the engine never proposes the same
 * action twice for it.
 */
export function anomalyListener(
  engine: HealingEngine,
  objectOf: (targetId: string) => KubernetesObject | null | undefined,
  logger: Logger,
  /** The target's predicted limit crossing (epoch ms), when it has a time-to-failure forecast. */
  crossingOf: (targetId: string) => number | undefined = () => undefined
): AnomalyListener {
  const hand = (anomaly: Anomaly) => {
    engine
      .onAnomaly(triggerFromAnomaly(anomaly, objectOf(anomaly.target), crossingOf(anomaly.target)))
      .catch((err: unknown) => logger.error({ err, anomalyId: anomaly.id }, 'healing could not take the anomaly'));
  };
  return {
    opened: hand,
    updated: hand,
    closed: (anomaly) => {
      engine.onAnomalyClosed(String(anomaly.id));
    },
  };
}
