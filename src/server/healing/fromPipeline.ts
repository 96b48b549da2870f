import type { Logger } from 'pino';
import { kubeObjectRefOf, type AnomalyTrigger, type KubeObjectRef } from '../../contract/healing';
import type { KubernetesObject } from '../../contract/pipeline';
import type { AnomalyEvent, AnomalyListener } from '../pipeline/listener';
import type { Pipeline } from '../pipeline/pipeline';
import { targetId } from '../pipeline/targets';
import type { HealingEngineDeps } from './context';
import type { HealingEngine } from './engine';

const KINDS: Record<KubernetesObject['kind'], KubeObjectRef['kind']> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
  Pod: 'pod',
  Node: 'node',
};

export function triggerFromAnomaly(
  anomaly: AnomalyEvent['anomaly'],
  object: KubernetesObject | null | undefined,
  predictedFailureAt?: number
): AnomalyTrigger {
  const ref = object
    ? kubeObjectRefOf({
        kind: KINDS[object.kind],
        name: object.name,
        ...(object.namespace ? { namespace: object.namespace } : {}),
      })
    : undefined;
  return {
    source: 'anomaly',
    id: anomaly.id,
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
 * action twice for it. An operator's feedback is handed too (a false positive withdraws).
 */
export function anomalyListener(engine: HealingEngine, logger: Logger): AnomalyListener {
  const hand = ({ anomaly, object, predictedFailureAt }: AnomalyEvent) => {
    engine
      .onAnomaly(triggerFromAnomaly(anomaly, object, predictedFailureAt))
      .catch((err: unknown) => logger.error({ err, anomalyId: anomaly.id }, 'healing could not take the anomaly'));
  };
  return {
    opened: hand,
    updated: hand,
    closed: ({ anomaly }) => {
      engine
        .onAnomalyClosed(anomaly.id)
        .catch((err: unknown) => logger.error({ err, anomalyId: anomaly.id }, 'healing could not close the anomaly'));
    },
    feedback: ({ anomalyId, source }) => {
      // Healing's own verification ("the action healed it") never withdraws anything: only a person's word.
      if (source !== 'operator') {
        return;
      }
      engine
        .onOperatorFeedback(anomalyId)
        .catch((err: unknown) => logger.error({ err, anomalyId }, 'healing could not take the feedback'));
    },
  };
}

/** Who gave operator feedback without X-Grafana-User: the caller held the API token (as with approvals). */
const API_TOKEN_USER = '(api token)';

/**
 * What the engine asks of the pipeline after an anomaly was handed over: the target's score now
 * (re-checked before an action runs and to verify it), what operators said of the anomaly (from
 * the store, so any replica reads it alike), and feedback once an action healed it.
 */
export function pipelineHooks(
  pipeline: Pick<Pipeline, 'currentScore' | 'recordFeedback' | 'repo'>
): Required<Pick<HealingEngineDeps, 'readSignal' | 'onVerified' | 'operatorFeedback'>> {
  return {
    // The target's id follows from the trigger's watch and labels: nothing is read back from the store.
    readSignal: async (trigger) =>
      trigger.watch === undefined ? undefined : pipeline.currentScore(targetId(trigger.watch, trigger.labels)),
    // Latest first, as the store lists an anomaly's feedback.
    operatorFeedback: async (anomalyId) =>
      ((await pipeline.repo.anomaly(anomalyId))?.feedback ?? [])
        .filter((f) => f.source === 'operator')
        .map((f) => ({ kind: f.kind, user: f.user ?? API_TOKEN_USER, at: f.at })),
    onVerified: async (anomalyId, recovered, actionId) => {
      if (!recovered) {
        return;
      }
      // No person gave it: the source says the engine's verification did, the comment which action.
      await pipeline.recordFeedback(anomalyId, 'confirmed', 'verification', undefined, `action ${actionId} healed it`);
    },
  };
}
